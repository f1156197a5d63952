"""Issue 23 with auth on: the stack as `sam deploy` leaves it (the built-in issuer, the default policy,
no anonymous access). The console's page and files are open; its data is not, so it asks for a
token, keeps it for the tab only, and says plainly what the policy refuses."""

from __future__ import annotations

import re

import pytest
import requests

from flyte_core import tokens
from flyte_local.application import physical_name
from tests.e2e.console_browser import ConsoleTab, chromium, playwright_api

pytestmark = pytest.mark.e2e


@pytest.fixture
def mint(backend, monkeypatch, capsys):
    """The admin's mint command, against the stack's AWS."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", backend.endpoint)

    def minted(*arguments: str) -> str:
        assert tokens.main(["mint", "--secret-id", physical_name("TokenSecret"), "--ttl", "1h", *arguments]) == 0
        return capsys.readouterr().out.strip()

    return minted


def refusals_only(messages: list[str]) -> list[str]:
    """The console's errors, less the browser's own line for each response the policy refused (expected here)."""
    return [m for m in messages if not re.match(r"error: Failed to load resource: the server responded with a status of 401", m)]


def test_the_console_asks_for_a_token_keeps_it_for_the_tab_and_says_what_the_policy_refuses(secure_stack, mint):
    expect = playwright_api().expect
    url = secure_stack.url
    admin = mint("--subject", "ana", "--claim", "flyte_role=admin")
    reader = mint("--subject", "rui")
    registered = requests.post(f"{url}/v1/packs", json={"name": "Chat"}, headers={"Authorization": f"Bearer {admin}"})
    assert registered.status_code == 201, registered.text
    for address in ("/console", "/console/", "/console/app.js", "/console/preact.mjs", "/console/console.css"):
        assert requests.get(f"{url}{address}").status_code == 200, address  # open: the page holds no data
    assert requests.get(f"{url}/v1/packs").status_code == 401

    with chromium() as browser:
        tab = ConsoleTab(browser, url)
        try:
            page = tab.open("#/")
            alert = page.get_by_role("alert").first
            expect(alert).to_contain_text("This API needs a token", timeout=15_000)
            expect(alert).to_contain_text("GET /v1/packs")
            tab.screenshot("token")
            alert.get_by_label(re.compile("^Token")).fill(reader)
            alert.get_by_role("button", name="Use this token").click()
            expect(page.locator('tr[data-pack="Chat"]')).to_contain_text("live", timeout=15_000)
            assert page.get_by_role("alert").count() == 0
            assert page.evaluate("sessionStorage.getItem('flyte.console.token')") == reader
            assert page.evaluate("localStorage.length") == 0 and page.evaluate("document.cookie") == ""
            assert reader not in page.url

            # a reader may not delete a pack: the policy's refusal, said in words, and nothing deleted
            tab.go("#/packs/Chat")
            page.get_by_role("button", name="Delete pack Chat…").click()
            page.get_by_role("button", name="Yes, delete pack Chat").click()
            refusal = page.get_by_role("alertdialog").get_by_role("alert")
            expect(refusal).to_contain_text("Your token is not accepted for this")
            expect(refusal).to_contain_text("to delete pack Chat (DELETE /v1/packs/Chat: 401")
            assert requests.get(f"{url}/v1/packs/Chat", headers={"Authorization": f"Bearer {reader}"}).status_code == 200

            # the same tab, another token: the admin's deletes it
            refusal.get_by_label(re.compile("^Use another token")).fill(f"Bearer {admin}")
            refusal.get_by_role("button", name="Use this token").click()
            page.get_by_role("button", name="Yes, delete pack Chat").click()
            expect(page.get_by_role("status").filter(has_text="deleted")).to_have_text("Pack Chat deleted.")

            # forgetting the token: the console asks for one again
            page.get_by_role("button", name="Forget it").click()
            expect(page.get_by_role("alert").first).to_contain_text("This API needs a token", timeout=15_000)
            assert page.evaluate("sessionStorage.getItem('flyte.console.token')") is None
            assert tab.violations() == []
            assert refusals_only(tab.errors()) == []
            assert tab.axe() == []
        finally:
            tab.close()
