"""Debian's Chromium, headless, driven by Playwright, for the web console's tests (issue 23): every page
is opened with a listener for CSP violations and console errors, and can be checked by axe-core
(vendored for the tests only, tests/e2e/vendor, `make console-assets`)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "console"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Chromium ends the requests it has in flight when an address comes or goes on the machine (the sam
# local check beside pytest starts Docker, whose bridge gets one). Not the page's doing: a load it
# ended is done again, and the error is not the page's. The console itself loads again once (boot.js)
# and asks a dropped read again (api.js); a second change during that reload is why this retries too.
NETWORK_CHANGED = "net::ERR_NETWORK_CHANGED"
LOAD_ATTEMPTS = 3
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# What the page reports about itself: CSP violations (the event fires for every refused load, script,
# style or HTML sink) are collected from before the first script runs.
WATCH_VIOLATIONS = (
    "window.__violations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));"
)


def playwright_api() -> Any:
    """Playwright's sync API, or a skip saying in one line what is missing."""
    api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `make system-deps` installs it (apt-get install chromium)")
    return api


@contextmanager
def chromium() -> Iterator[Any]:
    api = playwright_api()
    with api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class ConsoleTab:
    """One tab on the console: what it logged, what its CSP refused, and axe's verdict."""

    def __init__(self, browser: Any, base: str, viewport: dict[str, int] = LAPTOP) -> None:
        self.base = base.rstrip("/")
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.messages: list[str] = []
        self.page.on("console", lambda message: self.messages.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))
        self.failed_requests: list[str] = []  # why each failed request failed (Chromium's net:: error)
        self.page.on("requestfailed", lambda request: self.failed_requests.append(f"{request.failure} {request.url}"))
        self.page.add_init_script(WATCH_VIOLATIONS)

    def open(self, route: str = "#/") -> Any:
        """Loads the console at `route` (a fresh document, so the page's own start-up is what runs)."""
        return self.load(f"{self.base}/console/{route}")

    def load(self, url: str) -> Any:
        """Loads `url` as a new document, again if the machine's network changed under the load
        (NETWORK_CHANGED) before the app started."""
        before = len(self.failed_requests)
        try:
            self.page.goto(url, wait_until="load")
            document_failed = False
        except Exception as error:  # Playwright's Error, for the document itself
            if NETWORK_CHANGED not in str(error):
                raise
            document_failed = True
        self._load_again_while_the_network_changes(before, document_failed)
        return self.page

    def started_after(self, since: int) -> None:
        """After a navigation the page made itself (a sign-in's way back from the issuer), whose load
        load() did not watch: loads it again, as load() would, if the network changed under it before
        the app started. `since`: len(failed_requests) before the navigation began."""
        self._load_again_while_the_network_changes(since)

    def _load_again_while_the_network_changes(self, since: int, document_failed: bool = False) -> None:
        """Reloads (the same URL with a fragment would be a navigation within the failed document)
        while the document failed or the network changed before the app started, at most
        LOAD_ATTEMPTS - 1 times; the last reload's NETWORK_CHANGED is raised."""
        for reload in range(1, LOAD_ATTEMPTS):
            if not document_failed and not self._network_changed_before_start(since=since):
                return
            since = len(self.failed_requests)
            try:
                self.page.reload(wait_until="load")
                document_failed = False
            except Exception as error:  # Playwright's Error, for the document itself
                if NETWORK_CHANGED not in str(error) or reload == LOAD_ATTEMPTS - 1:
                    raise
                document_failed = True

    def _network_changed_before_start(self, since: int, timeout: float = 15.0) -> bool:
        """Whether a request failed with NETWORK_CHANGED before the app replaced its boot line (the
        failure may be reported after the load event); False once the app started, or at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(NETWORK_CHANGED in failure for failure in self.failed_requests[since:]):
                return True
            if not self.page.locator("#app > p.boot").count():
                return False
            self.page.wait_for_timeout(100)  # lets Playwright deliver the page's events meanwhile
        return False

    def go(self, route: str) -> None:
        """Follows an in-page link to `route`, as a user's click would (no new document)."""
        self.page.evaluate(f"location.hash = {route!r}")

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__violations")

    def errors(self) -> list[str]:
        return [
            m
            for m in self.messages
            if (m.startswith(("error", "pageerror")) or "Content Security Policy" in m) and NETWORK_CHANGED not in m
        ]

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical findings on the page as it is now (WCAG 2.x A and AA rules)."""
        if not self.page.evaluate("typeof window.axe === 'object'"):
            self.page.evaluate(AXE.read_text(encoding="utf-8"))  # through DevTools: the page's CSP does not apply
        found = self.page.evaluate(
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},"
            " resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
        )
        return [v for v in found if v["impact"] in ("serious", "critical")]

    def screenshot(self, name: str, full_page: bool = True) -> None:
        """docs/console/<name>.png for the README, only when FLYTE_SCREENSHOTS=1 (a normal run writes no tracked file)."""
        if os.environ.get("FLYTE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def close(self) -> None:
        self.context.close()
