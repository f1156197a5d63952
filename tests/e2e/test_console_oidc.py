"""Issue 23 with an OIDC issuer configured: the console signs in with the authorization-code flow and
PKCE (S256) against a local issuer (tests/oidc.py), keeps the ID token for the tab, and the API accepts
it; the page's CSP lets it reach that issuer and nothing else."""

from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.console_browser import ConsoleTab, chromium, playwright_api
from tests.e2e.test_auth import auth_stack  # noqa: F401 (the same stack as `make run` with an OIDC issuer)
from tests.oidc import CLIENT_ID

pytestmark = pytest.mark.e2e


def test_the_console_signs_in_with_the_issuer_by_authorization_code_and_pkce(auth_stack, provider):
    expect = playwright_api().expect
    url = auth_stack.url
    admin = {"Authorization": f"Bearer {provider.token(sub='ana', flyte_role='admin')}"}
    assert requests.post(f"{url}/v1/packs", json={"name": "Chat"}, headers=admin).status_code == 201
    page_answer = requests.get(f"{url}/console/")
    policy = dict(d.strip().split(" ", 1) for d in page_answer.headers["content-security-policy"].split(";"))
    assert policy["connect-src"] == f"'self' {provider.issuer}"  # the issuer's origin, nothing else
    assert f'content="{provider.issuer}"' in page_answer.text and f'content="{CLIENT_ID}"' in page_answer.text

    with chromium() as browser:
        tab = ConsoleTab(browser, url)
        try:
            page = tab.open("#/packs")
            alert = page.get_by_role("alert").first
            expect(alert).to_contain_text("This API needs a token", timeout=15_000)
            host = provider.issuer.removeprefix("http://")
            before_sign_in = len(tab.failed_requests)
            with page.expect_navigation(url=re.compile(re.escape(f"{url}/console/"))):
                alert.get_by_role("button", name=f"Sign in with {host}").click()
            tab.started_after(before_sign_in)
            expect(page.locator('tr[data-pack="Chat"]')).to_contain_text("live", timeout=15_000)
            expect(page.locator(".token-status")).to_contain_text("Signed in as user-1")
            assert page.url == f"{url}/console/#/packs"  # back where the user was, no code left in the address
            assert page.evaluate("sessionStorage.getItem('flyte.console.signIn')") is None

            [(asked, status)] = provider.exchanges
            assert status == 200 and asked["grant_type"] == "authorization_code" and len(asked["code_verifier"]) >= 43
            assert asked["redirect_uri"] == f"{url}/console/" and asked["client_id"] == CLIENT_ID
            held = page.evaluate("sessionStorage.getItem('flyte.console.token')")
            assert requests.get(f"{url}/v1/packs", headers={"Authorization": f"Bearer {held}"}).status_code == 200

            # an answer this tab did not ask for (a forged or replayed link) signs nobody in
            tab.load(f"{url}/console/?code=stolen&state=forged")
            expect(page.get_by_role("alert").first).to_contain_text("not for a sign-in this tab started")
            assert page.url == f"{url}/console/#/" and len(provider.exchanges) == 1
            assert tab.violations() == []
            assert [m for m in tab.errors() if "status of 401" not in m] == []
        finally:
            tab.close()
