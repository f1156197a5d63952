"""Issue 19, item 4: what the API serves cannot run as a page of its own origin. Every answer says
`nosniff`; a stored item is a sandboxed document that loads nothing, and a download unless its type
is one a browser shows as text; the Swagger UI page runs only the API's own scripts (checked in a
real browser: it still renders every operation, and the browser reports no CSP violation)."""

from __future__ import annotations

import pytest

from tests.e2e.console_browser import WATCH_VIOLATIONS, chromium, playwright_api

pytestmark = pytest.mark.e2e
SANDBOX = "sandbox; default-src 'none'"


def store(api, key: str, value: bytes, content_type: str) -> None:
    response = api.put(f"{api.base}/v1/datastore/{key}", files={"value": ("value", value, content_type)})
    assert response.status_code in (201, 204), response.text


@pytest.mark.parametrize(
    ("key", "content_type", "value"),
    [
        ("page.html", "text/html", b"<!DOCTYPE html><script>fetch('/v1/datastore').then(r => r.text()).then(alert)</script>"),
        ("logo.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'),
        ("Page.XHTML", "Application/XHTML+XML", b'<html xmlns="http://www.w3.org/1999/xhtml"><script/></html>'),
    ],
)
def test_a_stored_page_or_image_is_a_sandboxed_download_never_a_page_of_the_api(api, key, content_type, value):
    store(api, key, value, content_type)
    response = api.get(f"{api.base}/v1/datastore/{key}")
    assert response.status_code == 200 and response.content == value  # still the bytes as stored
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == SANDBOX
    assert response.headers["content-disposition"] == f'attachment; filename="{key}"'


@pytest.mark.parametrize(
    ("key", "content_type", "value"),
    [
        ("teams", "application/json", b'{"teama": {"room": "#a"}}'),
        ("teams.yaml", "application/x-yaml", b"teama:\n  room: '#a'\n"),
        ("notes", "text/plain; charset=us-ascii", b"<b>not bold</b>"),
        ("rota.csv", "text/csv", b"name,day\nana,mon\n"),
    ],
)
def test_json_yaml_text_and_csv_items_are_shown_inline_still_sandboxed(api, key, content_type, value):
    store(api, key, value, content_type)
    response = api.get(f"{api.base}/v1/datastore/{key}")
    assert response.status_code == 200 and response.content == value
    assert "content-disposition" not in response.headers
    assert response.headers["content-security-policy"] == SANDBOX
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_download_is_named_after_its_key_in_ascii_and_in_full(api):
    store(api, 'équipe "plan" v2.html', b"<p>plan</p>", "text/html")
    response = api.get(f'{api.base}/v1/datastore/équipe "plan" v2.html')
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"quipe_plan_v2.html\"; filename*=UTF-8''%C3%A9quipe%20%22plan%22%20v2.html"
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1", 200),  # info
        ("GET", "/v1/nowhere", 404),  # info's $default, a problem
        ("DELETE", "/v1", 405),
        ("GET", "/swagger/swagger-ui.css", 200),
        ("GET", "/swagger/swagger_ui_start.js", 200),
        ("GET", "/v1/packs", 200),  # packs
        ("GET", "/v1/packs/nobody", 404),
        ("GET", "/v1/flows", 200),  # flows
        ("POST", "/v1/flows", 400),
        ("GET", "/v1/datastore", 200),  # datastore
        ("GET", "/v1/datastore/nothing", 404),
        ("GET", "/v1/audit/flows", 200),  # audit
        ("POST", "/v1/packs/nobody/events", 404),  # pack_runtime
    ],
)
def test_every_answer_of_every_function_says_nosniff(api, method, path, status):
    response = api.request(method, f"{api.base}{path}", data=b"{" if method == "POST" else None)
    assert response.status_code == status, response.text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_swagger_ui_page_allows_no_inline_script_and_no_other_origin(api):
    response = api.get(f"{api.base}/swagger/")
    policy = dict(directive.strip().split(" ", 1) for directive in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert "<script>" not in response.text  # the start-up script is a file of the API's own


def test_the_swagger_ui_renders_every_operation_in_chromium_without_a_csp_violation(api):
    """The page as a browser runs it, under its Content-Security-Policy: every operation of the OpenAPI
    document listed, one expanded with its parameters, and nothing refused by the policy."""
    expect = playwright_api().expect
    operations = sum(
        method in ("get", "put", "post", "delete")
        for item in api.get(f"{api.base}/v1/swagger").json()["paths"].values()
        for method in item
    )
    with chromium() as browser:
        page = browser.new_page()
        messages: list[str] = []
        page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
        page.add_init_script(WATCH_VIOLATIONS)
        page.goto(f"{api.base}/swagger/", wait_until="load")
        # (locators, not wait_for_function: that evaluates a string in the page, which the policy forbids)
        expect(page.locator(".opblock")).to_have_count(operations, timeout=20_000)
        page.locator(".opblock-summary").filter(has_text="/v1/datastore/{key}").first.click()
        page.wait_for_selector(".opblock.is-open .parameters", timeout=10_000)
        listing = page.locator(".opblock").filter(has_text="List packs").first  # "Try it out" calls the API
        listing.locator(".opblock-summary").click()
        listing.locator("button.try-out__btn").click()
        listing.locator("button.execute").click()
        expect(listing.locator(".live-responses-table tr.response .response-col_status").first).to_have_text(
            "200", timeout=10_000
        )
        title = page.locator(".info .title").inner_text()
        violations = page.evaluate("window.__violations")
    assert "Flyte" in title
    assert violations == []
    assert [m for m in messages if "Content Security Policy" in m or m.startswith(("error", "pageerror"))] == []
