"""Issue 23: the web console at /console, in Debian's headless Chromium against the local stack. Every
page shows what the API knows, under the page's CSP, with no console error and nothing axe-core
finds serious; a dry run from the flow page, an event's trace followed to its execution, a pack that
goes dead while the overview is open, deletes behind a confirmation, live updates that stop while the
tab is hidden. `FLYTE_SCREENSHOTS=1` also writes the README's screenshots (docs/console/*.png)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import yaml

from tests.e2e.conftest import PackClient
from tests.e2e.console_browser import LAPTOP, PHONE, ConsoleTab, chromium, playwright_api

pytestmark = pytest.mark.e2e

FLOW = {
    "name": "deploy_on_request",
    "description": "Deploys when someone asks in chat, then says how it went.",
    "steps": [
        {
            "id": "ask",
            "event": {"packName": "Slack", "name": "ReceivedMessage"},
            "context": {"channel": "{{ Event.Payload.channelId }}"},
            "criteria": "{{ Event.Payload.message|match:'^deploy ' }}",
            "command": {
                "packName": "Shell",
                "name": "Shell",
                "input": "echo deploying {{ Event.Payload.message|shellquote }}\nexit 0\n",
            },
        },
        {
            "id": "report",
            "dependsOn": ["ask"],
            "event": {"packName": "Shell", "name": "Output"},
            "command": {
                "packName": "Slack",
                "name": "SendMessage",
                "input": {"channelId": "{{ Context.channel }}", "message": "done: {{ Event.Payload.stdout }}"},
            },
        },
        {
            "id": "failed",
            "dependsOn": ["ask"],
            "event": {"packName": "Shell", "name": "FATAL"},
            "command": {
                "packName": "Slack",
                "name": "SendMessage",
                "input": {"channelId": "{{ Context.channel }}", "message": "failed"},
            },
        },
    ],
}
STORED_PAGE = b"<b>not bold</b><img src=x onerror=alert(1)><script>alert(document.domain)</script>"


def post_event(pack: PackClient, name: str, payload: Any) -> str:
    """Posts an event as the pack does and returns its id (from the Location of its trace)."""
    response = pack.session.post(pack.events_url, json={"event": name, "payload": payload})
    assert response.status_code == 202, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


def executions(url: str, flow: str) -> list[dict[str, Any]]:
    return requests.get(f"{url}/v1/audit/flows", params={"flowName": flow}).json()["flows"]


def wait_for(condition, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {what} within {timeout} s")


@pytest.fixture(scope="module")
def seeded(stack) -> dict[str, Any]:
    """Two packs, a flow, an execution that succeeded its first step, one whose first step failed,
    an event that started nothing, and two datastore items (one of them an HTML page)."""
    url = stack.url
    slack = PackClient(url, "Slack", commands=[{"name": "SendMessage", "events": ["MessageSent"]}]).register()
    shell = PackClient(url, "Shell", {"env": "prod"}, commands=[{"name": "Shell", "events": ["Output"]}]).register()
    assert requests.post(f"{url}/v1/flows", json=FLOW).status_code == 201

    deployed = post_event(slack, "ReceivedMessage", {"channelId": "C1", "message": "deploy api"})
    taken = shell.take_until()
    assert shell.post_result(taken, "Output", {"stdout": "api deployed", "stderr": "", "exit_code": 0}).status_code == 202
    ignored = post_event(slack, "ReceivedMessage", {"channelId": "C1", "message": "hello there"})
    broken = post_event(slack, "ReceivedMessage", {"channelId": "C2", "message": "deploy web"})
    taken = shell.take_until()
    assert shell.post_result(taken, "FATAL", {"error": "exit 3: disk full"}).status_code == 202
    done = wait_for(lambda: len(executions(url, FLOW["name"])) == 2 and executions(url, FLOW["name"]), what="two executions")
    by_message = {e["actions"]["ask"]["trigger"]["payload"]["message"]: e["correlationId"] for e in done}
    for correlation in by_message.values():  # the step after `ask` (report, or failed) is created
        wait_for(
            lambda c=correlation: len(requests.get(f"{url}/v1/audit/flows/{c}").json()["actions"]) == 2, what="a second action"
        )
    for key, value, content_type in (
        ("page.html", STORED_PAGE, "text/html"),
        ("teams", b'{"a": {"room": "#a"}}', "application/json"),
    ):
        response = requests.put(f"{url}/v1/datastore/{key}", files={"value": ("value", value, content_type)})
        assert response.status_code in (201, 204), response.text
    return {
        "url": url,
        "succeeded": by_message["deploy api"],
        "failed": by_message["deploy web"],
        "deployed": deployed,
        "ignored": ignored,
        "broken": broken,
        "slack": slack,
        "shell": shell,
    }


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def tab(browser, stack):
    opened = ConsoleTab(browser, stack.url)
    yield opened
    try:
        assert opened.errors() == [], opened.errors()
        assert opened.violations() == []
    finally:
        opened.close()


def expect():
    return playwright_api().expect


def pages(seeded) -> list[tuple[str, str, str]]:
    """Every page of the console: its route, a text it must show once its data is in, and its screenshot's name."""
    return [
        ("#/", "exit 3: disk full", "overview"),
        ("#/flows", "Deploys when someone asks in chat", "flows"),
        ("#/flows/deploy_on_request", "Recent executions", "flow"),
        ("#/executions", seeded["failed"], "executions"),
        (f"#/executions/{seeded['failed']}", "exit 3: disk full", "execution"),
        ("#/events", "ReceivedMessage", "events"),
        (f"#/events/{seeded['ignored']}", "criteria rendered", "event"),
        ("#/packs", "Shell.env.prod", "packs"),
        ("#/packs/Shell.env.prod", "Output", "pack"),
        ("#/datastore", "page.html", "datastore"),
        ("#/datastore/page.html", "text/html", "datastore-item"),
    ]


def test_every_page_shows_its_data_with_no_console_error_no_csp_violation_and_nothing_serious_for_axe(seeded, tab):
    for route, text, name in pages(seeded):
        page = tab.open(route)
        expect()(page.locator("main")).to_contain_text(text, timeout=15_000)
        expect()(page.locator("main .loading")).to_have_count(0, timeout=15_000)
        assert page.locator("main h1").count() == 1, route
        assert tab.axe() == [], route
        tab.screenshot(name)
        assert tab.violations() == [], route
    assert tab.errors() == []


def test_on_a_phone_every_page_fits_the_screen_and_wide_parts_scroll_in_their_own_box(seeded, browser, stack):
    phone = ConsoleTab(browser, stack.url, viewport=PHONE)
    try:
        for route, text, name in pages(seeded):
            page = phone.open(route)
            expect()(page.locator("main")).to_contain_text(text, timeout=15_000)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{route} is {overflow}px wider than a phone"
            if name in ("overview", "flow", "execution"):
                phone.screenshot(f"{name}-phone", full_page=False)
        assert phone.errors() == [] and phone.violations() == []
    finally:
        phone.close()


def test_a_datastore_value_is_shown_as_text_never_as_markup(seeded, tab):
    page = tab.open("#/datastore/page.html")
    value = page.get_by_test_id("datastore-value")
    expect()(value).to_have_text(STORED_PAGE.decode())
    assert page.locator("main b, main img, main script").count() == 0


def test_the_flow_is_shown_as_yaml_that_reads_back_as_the_flow_and_as_a_graph_of_its_steps(seeded, tab, stack):
    tricky = {
        "name": "quoting",
        "description": "yes",
        "steps": [
            {
                "id": "on",
                "event": {"packName": "Chat", "name": "Said: hi", "packLabels": {"env": "no", "team #1": " a"}},
                "context": {"n": "1.5", "empty": "", "unicode": "café \u2013 ✓", "hash": "a #b", "tpl": "{{ Event.Name }}"},
                "criteria": "{% if Event.Payload.x %}True{% else %}False{% endif %}",
                "command": {
                    "packName": "Shell",
                    "name": "Shell",
                    "input": {
                        "script": "  indented\nline two  \n",
                        "lines": "a\n\nb",
                        "list": [1, 2.5, True, None, "null", [], {}],
                        "n": 3,
                    },
                },
            },
            {
                "id": "next",
                "dependsOn": ["on"],
                "event": {"packName": "Shell", "name": "Output"},
                "command": {"packName": "Chat", "name": "Say", "input": "x\n"},
            },
        ],
    }
    assert requests.post(f"{stack.url}/v1/flows", json=tricky).status_code == 201
    for name in ("deploy_on_request", "quoting"):
        page = tab.open(f"#/flows/{name}")
        shown = page.locator("pre.yaml")
        expect()(shown).to_be_visible(timeout=15_000)
        stored = requests.get(f"{stack.url}/v1/flows/{name}").json()
        stored.pop("links")
        assert yaml.safe_load(shown.inner_text()) == stored
        # the graph: one node per step, an edge per dependsOn and per trigger event
        steps = page.locator("svg.graph g.node-step")
        expect()(steps).to_have_count(len(stored["steps"]))
        dependencies = sum(len(step.get("dependsOn", [])) for step in stored["steps"])
        triggers = sum(1 for step in stored["steps"] if not step.get("dependsOn"))
        assert page.locator("svg.graph path.edge").count() == dependencies + triggers
    page = tab.open("#/flows/deploy_on_request")
    ask = page.locator('svg.graph g.node-step[data-step="ask"]')
    expect()(ask).to_contain_text("runs Shell · Shell")
    expect()(page.locator("svg.graph g.node-event")).to_contain_text("Slack · ReceivedMessage")


def test_a_dry_run_from_the_flow_page_shows_each_steps_outcome_on_the_graph_and_the_rendered_input(seeded, tab):
    page = tab.open("#/flows/deploy_on_request")
    picker = page.get_by_label("Pick a recent event")
    expect()(picker.locator("option", has_text="hello there")).to_have_count(1, timeout=15_000)
    picker.select_option(label=picker.locator("option", has_text="hello there").inner_text())
    event = page.get_by_label("Event (JSON: packName, packLabels, event, payload)")
    expect()(event).to_have_value(re.compile("hello there"))
    page.get_by_role("button", name="Run dry run").click()
    ask = page.locator('svg.graph g.node-step[data-step="ask"]')
    expect()(ask).to_have_class(re.compile("state-skipped"))
    expect()(ask.locator(".node-mark")).to_have_text("skipped: criteria")
    outcome = page.locator('.outcomes li[data-step="ask"]')
    expect()(outcome).to_contain_text("criteria rendered 'False'")
    expect()(page.locator('.outcomes li[data-step="report"]')).to_contain_text("waits for event 'Output' from pack 'Shell'")

    # a message the criteria accepts, pasted
    event.fill(
        json.dumps(
            {
                "packName": "Slack",
                "packLabels": {},
                "event": "ReceivedMessage",
                "payload": {"channelId": "C9", "message": "deploy it's late"},
            }
        )
    )
    page.get_by_role("button", name="Run dry run").click()
    expect()(ask).to_have_class(re.compile("state-fired"))
    expect()(outcome).to_contain_text("Command Shell to pack Shell")
    expect()(page.get_by_label("Rendered input of step ask")).to_have_text("echo deploying 'deploy it'\\''s late'\nexit 0\n")
    expect()(page.get_by_role("status").filter(has_text="steps would fire")).to_have_text("1 of 3 steps would fire.")
    tab.screenshot("flow-dry-run")

    event.fill("{not json")
    page.get_by_role("button", name="Run dry run").click()
    expect()(page.locator("#dry-run-invalid")).to_contain_text("The event is not JSON")
    assert (
        requests.get(f"{seeded['url']}/v1/audit/flows", params={"flowName": "deploy_on_request"}).json()["flows"].__len__() == 2
    )


def test_an_events_trace_shows_why_each_step_did_or_did_not_fire_and_leads_to_the_execution_it_started(seeded, tab):
    page = tab.open("#/events")
    row = page.locator(f'tr[data-event="{seeded["deployed"]}"]')
    expect()(row).to_contain_text("ReceivedMessage", timeout=15_000)
    row.get_by_role("link").click()
    expect()(page.locator("h1")).to_contain_text(seeded["deployed"])
    expect()(page.locator('.outcomes li[data-step="ask"]')).to_contain_text("fired")
    expect()(page.locator('.outcomes li[data-step="report"]')).to_contain_text("waits for event 'Output' from pack 'Shell'")
    page.locator("a.execution-link").click()
    expect()(page.locator("h1")).to_contain_text(seeded["succeeded"])
    expect()(page.locator('svg.graph g.node-step[data-step="ask"]')).to_have_class(re.compile("state-success"))
    expect()(page.locator('svg.graph g.node-step[data-step="report"]')).to_have_class(re.compile("state-new"))
    expect()(page.locator('svg.graph g.node-step[data-step="failed"]')).to_have_class(re.compile("state-idle"))
    expect()(page.locator('table.actions tr[data-step="ask"]')).to_contain_text("by pack Shell.env.prod")

    # an event that started nothing says so, and links no execution
    tab.go(f"#/events/{seeded['ignored']}")
    expect()(page.locator("main")).to_contain_text("No step fired, so no execution")
    assert page.locator("a.execution-link").count() == 0


def drop_the_first(tab, pattern: str) -> list[Any]:
    """The first request the tab sends to `pattern` gets no answer (its connection reset), as when
    the machine's network changes; later ones go through. Returns the dropped request, once dropped."""
    dropped: list[Any] = []

    def drop(route):
        if dropped:
            route.continue_()
        else:
            dropped.append(route.request)
            route.abort("connectionreset")

    tab.page.route(pattern, drop)
    return dropped


def test_a_read_that_got_no_answer_is_asked_once_more(seeded, tab):
    """A browser drops its connections when the machine's network changes (an address comes or goes:
    a VPN, Wi-Fi, Docker starting): the flow page's read sent then is asked again, and the page shows
    the flow, not "No answer from the API"."""
    dropped = drop_the_first(tab, "**/v1/flows/deploy_on_request")
    page = tab.open("#/flows/deploy_on_request")
    expect()(page.locator("svg.graph g.node-step").first).to_be_visible(timeout=15_000)
    assert [request.method for request in dropped] == ["GET"] and page.get_by_text("No answer from the API").count() == 0
    tab.messages[:] = [m for m in tab.messages if "ERR_CONNECTION_RESET" not in m]  # the dropped request's own line


def test_a_console_whose_modules_could_not_be_fetched_loads_itself_once_more_and_only_once(seeded, tab):
    """Not left on "Loading the Flyte console…" when a module's fetch was dropped (functions/info/console/boot.js);
    and a console that cannot load at all is not reloaded over and over."""
    documents: list[str] = []
    tab.page.on("request", lambda request: documents.append(request.url) if request.resource_type == "document" else None)
    dropped = drop_the_first(tab, "**/console/app.js")
    page = tab.open("#/flows")
    expect()(page.locator("main")).to_contain_text("Deploys when someone asks in chat", timeout=15_000)
    assert len(dropped) == 1 and len(documents) == 2
    assert page.evaluate("sessionStorage.getItem('flyte.console.reloadedAfterAFailedLoad')") is None  # cleared once started

    tab.page.unroute("**/console/app.js")
    tab.page.route("**/console/app.js", lambda route: route.abort("connectionreset"))
    documents.clear()
    tab.page.reload(wait_until="load")
    expect()(page.locator("#app > p.boot")).to_be_visible()
    page.wait_for_timeout(2_000)  # time for a reload loop to show itself, were there one
    assert len(documents) == 2  # the page, and one more try
    assert page.evaluate("sessionStorage.getItem('flyte.console.reloadedAfterAFailedLoad')") == "1"
    tab.messages[:] = [m for m in tab.messages if "ERR_CONNECTION_RESET" not in m]  # the dropped requests' own lines


def test_a_pack_goes_dead_on_the_overview_while_it_is_open(seeded, tab, settings):
    from flyte_core.adapters import Adapters

    PackClient(seeded["url"], "Watcher").register()
    page = tab.open("#/")
    row = page.locator('tr[data-pack="Watcher"]')
    expect()(row).to_contain_text("live", timeout=15_000)
    page.evaluate("window.__sameDocument = true")
    packs = Adapters(settings).models.packs  # last seen 11 minutes ago (LIVE_FOR is 10 minutes)
    packs("Watcher").update(actions=[packs.lastSeen.set(datetime.now(UTC) - timedelta(minutes=11))])
    expect()(row.locator(".badge")).to_have_text("dead", timeout=40_000)  # the overview polls, backing off up to 30 s
    expect()(row).to_contain_text("11 min ago")
    assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
    expect()(page.locator(".card", has_text="Packs")).to_contain_text("1 dead")


def test_live_updates_stop_while_the_tab_is_hidden_and_catch_up_when_it_shows(seeded, tab):
    correlation = seeded["succeeded"]
    page = tab.open(f"#/executions/{correlation}")
    report = page.locator('svg.graph g.node-step[data-step="report"]')
    expect()(report).to_have_class(re.compile("state-new"), timeout=15_000)
    expect()(page.locator(".live")).to_have_attribute("data-live", "on")
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if f"/v1/audit/flows/{correlation}" in request.url else None)
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    expect()(page.locator(".live")).to_have_attribute("data-live", "paused")
    expect()(page.locator(".live")).to_have_text("Live updates paused while this tab is hidden.")
    while_hidden = len(fetched)
    # meanwhile the execution moves on: Slack takes its action
    slack = seeded["slack"]
    taken = slack.take_until()
    assert taken.command == "SendMessage"
    wait_for(
        lambda: (
            requests.get(f"{seeded['url']}/v1/audit/flows/{correlation}").json()["actions"]["report"]["state"]["value"]
            == "PENDING"
        ),
        what="the report action taken",
    )
    assert len(fetched) == while_hidden  # nothing fetched while hidden, though the execution changed
    expect()(report).to_have_class(re.compile("state-new"))
    with page.expect_request(lambda request: f"/v1/audit/flows/{correlation}" in request.url):
        page.evaluate(
            "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
            "Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});"
            "document.dispatchEvent(new Event('visibilitychange'))"
        )
    expect()(report).to_have_class(re.compile("state-pending"))
    assert slack.post_result(taken, "MessageSent", {}).status_code == 202
    expect()(report).to_have_class(re.compile("state-success"), timeout=20_000)  # polled back to 2 s after the change


def test_a_pack_and_a_datastore_item_are_deleted_only_after_a_confirmation(seeded, tab):
    url = seeded["url"]
    PackClient(url, "Leaving").register()
    page = tab.open("#/packs/Leaving")
    page.get_by_role("button", name="Delete pack Leaving…").click()
    dialog = page.get_by_role("alertdialog")
    expect()(dialog).to_contain_text("Delete pack Leaving?")
    expect()(dialog.get_by_role("button", name="Yes, delete pack Leaving")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    assert requests.get(f"{url}/v1/packs/Leaving").status_code == 200
    page.get_by_role("button", name="Delete pack Leaving…").click()
    page.get_by_role("button", name="Yes, delete pack Leaving").click()
    expect()(page.get_by_role("status").filter(has_text="deleted")).to_have_text("Pack Leaving deleted.")
    assert requests.get(f"{url}/v1/packs/Leaving").status_code == 404
    expect()(page.locator('tr[data-pack="Leaving"]')).to_have_count(0)

    response = requests.put(f"{url}/v1/datastore/old-note", files={"value": ("value", b"bye", "text/plain")})
    assert response.status_code == 201
    tab.go("#/datastore/old-note")
    page.get_by_role("button", name="Delete item old-note…").click()
    page.get_by_role("button", name="Yes, delete item old-note").click()
    expect()(page.get_by_role("status").filter(has_text="deleted")).to_have_text("Item old-note deleted.")
    assert requests.get(f"{url}/v1/datastore/old-note").status_code == 404


def test_the_keyboard_reaches_every_section_and_a_page_opens_on_its_heading(seeded, tab):
    page = tab.open("#/")
    expect()(page.locator("h1")).to_have_text("Overview", timeout=15_000)
    page.keyboard.press("Tab")
    expect()(page.get_by_role("link", name="Skip to content")).to_be_focused()
    visited = []
    for _ in range(10):
        page.keyboard.press("Tab")
        visited.append(page.evaluate("document.activeElement.textContent"))
    for section in ("Overview", "Flows", "Executions", "Events", "Packs", "Datastore"):
        assert section in visited, visited
    page.get_by_role("link", name="Flows", exact=True).focus()
    page.keyboard.press("Enter")
    expect()(page.locator("h1")).to_be_focused()
    expect()(page.locator("h1")).to_have_text("Flows")


# --- the console's files, over HTTP ------------------------------------------------------------------


def test_the_console_and_its_files_are_served_by_the_api_itself_with_their_policy(stack):
    for address in ("/console", "/console/"):
        page = requests.get(f"{stack.url}{address}")
        assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
        policy = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
        assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
        assert policy["connect-src"] == "'self'" and policy["trusted-types"] == "'none'"
        assert "<script>" not in page.text and " style=" not in page.text
    scripts = re.findall(r'href="([^"]+\.m?js)"', page.text) + re.findall(r'src="([^"]+\.m?js)"', page.text)
    assert scripts and all(s.startswith(f"{stack.url}/console/") for s in scripts)
    for script in scripts:
        response = requests.get(script)
        assert response.status_code == 200 and response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert "sourceMappingURL" not in response.text and "eval(" not in response.text
        assert response.headers["x-content-type-options"] == "nosniff"
        tag = response.headers["etag"]
        assert tag == f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        again = requests.get(script, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
    missing = requests.get(f"{stack.url}/console/app.py")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert requests.get(f"{stack.url}/console/..%2Fapp.py").status_code == 404


def test_first_render_times_and_what_a_first_visit_downloads(seeded, browser, stack):
    """Issue 23's figures: time to first render of the overview and of a 50-step execution (the page's
    `flyte:rendered` mark, from navigation start), and the bytes of the console's files a first visit
    downloads (no cache). Budgets on the console's own share, well above what it takes, so that a busy machine passes."""
    url = stack.url
    runner = PackClient(url, "Runner", commands=[{"name": "Work", "events": ["Worked"]}]).register()
    chains, depth = 10, 5  # 10 trigger steps, each followed by a chain of 4: 50 steps in 5 layers
    steps = []
    for chain in range(chains):
        for level in range(depth):
            step = {
                "id": f"c{chain}s{level}",
                "event": {"packName": "Runner", "name": "Go" if level == 0 else "Worked"},
                "command": {"packName": "Runner", "name": "Work", "input": {"chain": chain, "level": level}},
            }
            if level:
                step["dependsOn"] = [f"c{chain}s{level - 1}"]
            steps.append(step)
    assert requests.post(f"{url}/v1/flows", json={"name": "fifty", "steps": steps}).status_code == 201
    post_event(runner, "Go", {})
    for _ in range(chains * depth):
        taken = runner.take_until(timeout=30)
        assert runner.post_result(taken, "Worked", {}).status_code == 202
    execution = wait_for(
        lambda: (found := executions(url, "fifty")) and len(found[0]["actions"]) == 50 and found[0], timeout=30, what="50 actions"
    )
    figures = {}
    for name, route in (("overview", "#/"), ("execution of 50 steps", f"#/executions/{execution['correlationId']}")):
        fresh = ConsoleTab(browser, url, viewport=LAPTOP)
        try:
            downloaded: dict[str, int] = {}
            fresh.page.on(
                "response",
                lambda response, seen=downloaded: (
                    seen.__setitem__(response.url, len(response.body()))
                    if "/console" in response.url and response.status == 200
                    else None
                ),
            )
            page = fresh.open(route)
            expect()(page.locator("main .loading")).to_have_count(0, timeout=15_000)
            rendered = wait_for(
                lambda p=page: p.evaluate("(performance.getEntriesByName('flyte:rendered')[0] || {}).startTime"), what="the mark"
            )
            # of which waiting for the API: the longest /v1 answer the first render used
            api = page.evaluate(
                "Math.max(0, ...performance.getEntriesByType('resource')"
                f".filter(e => e.name.includes('/v1/') && e.responseEnd <= {rendered}).map(e => e.responseEnd - e.startTime))"
            )
            figures[name] = {
                "firstRenderMs": round(rendered),
                "slowestApiAnswerMs": round(api),
                "consoleFilesBytes": sum(downloaded.values()),
                "files": len(downloaded),
            }
            assert fresh.errors() == [] and fresh.violations() == []
        finally:
            fresh.close()
    print(f"\nconsole figures: {json.dumps(figures)}")
    # The budgets hold what the console controls: its own time beside the slowest API answer it waited
    # for. The API's time is the local stack's on a machine as busy as CI's (6.4 s seen for the
    # overview's answers beside three other test workers), a figure the printout reports, not a budget.
    for name, budget in (("overview", 4000), ("execution of 50 steps", 5000)):
        own = figures[name]["firstRenderMs"] - figures[name]["slowestApiAnswerMs"]
        assert own < budget, f"{name}: {own} ms of the first render were the console's own"
        assert figures[name]["firstRenderMs"] < 30_000
    assert figures["overview"]["consoleFilesBytes"] < 150_000  # every module, the stylesheet, the icon
