"""Auth on, end to end (issue 11): the local stack started as `FLYTE_AUTH_POLICY_PATH=policy.yaml
FLYTE_OIDC_ISSUER_URL=... FLYTE_OIDC_ISSUER_CLIENT_ID=... make run` starts it, a local OIDC issuer on
a loopback port, and users and packs talking HTTP with ID tokens: every status code of api-contract §9, the
JWT attacks, the Python pack SDK and the Shell pack sending FLYTE_JWT, and who changed what.

The policy is the README's starting policy (examples/auth-policy.yaml) with two edits that exercise
the original's rules: `/health` has no rule (401: api-contract §13.13: "/health needs a rule") and the datastore
key rule lists PUT only (405 for DELETE).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests

from flyte_local.stack import LocalStack, auth_environment
from flyte_pack import Command, Event, EventDef, Pack
from tests.e2e.pack_programs import start_pack_program
from tests.oidc import CLIENT_ID

pytestmark = pytest.mark.e2e
EXAMPLE_POLICY = Path(__file__).resolve().parents[2] / "examples" / "auth-policy.yaml"
CHALLENGE = 'Bearer realm="token"'
INVALID = 'Bearer realm="token", error="invalid_token"'


def e2e_policy() -> str:
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    edited = text.replace("- path: /health\n  methods: [GET]\n", "").replace(
        "- path: /v1/datastore/:key\n  methods: [PUT, DELETE]", "- path: /v1/datastore/:key\n  methods: [PUT]"
    )
    assert edited.count("\n") == text.count("\n") - 2 and "[PUT]\n" in edited
    return edited


@pytest.fixture(scope="module")
def auth_stack(backend, provider, tmp_path_factory):
    policy = tmp_path_factory.mktemp("auth") / "policy.yaml"
    policy.write_text(e2e_policy(), encoding="utf-8")
    backend.reset()
    # What `make run` hands the functions from its own environment.
    environment = auth_environment(
        {
            "FLYTE_AUTH_POLICY_PATH": str(policy),
            "FLYTE_OIDC_ISSUER_URL": provider.issuer,
            "FLYTE_OIDC_ISSUER_CLIENT_ID": CLIENT_ID,
        }
    )
    local = LocalStack(
        port=0, endpoint=backend.endpoint, parameter_overrides={"LogLevel": "WARNING"}, environment=environment
    ).start()
    yield local
    local.stop()


@pytest.fixture(scope="module")
def tokens(provider):
    return {
        "admin": provider.token(sub="ana", email="ana@example.com", flyte_role="admin"),
        "pack": provider.token(sub="shell-pack", flyte_role=["pack"]),
        "reader": provider.token(sub="rui"),
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: requests.Response, status: int, challenge: str | None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status
    assert response.headers.get("www-authenticate") == challenge


def test_open_rules_need_no_token(auth_stack):
    links = requests.get(f"{auth_stack.url}/v1", headers={"Accept": "application/json"})
    assert links.status_code == 200 and any(link["rel"].endswith("pack/listPacks") for link in links.json()["links"])
    assert requests.get(f"{auth_stack.url}/").status_code == 200


def test_a_path_without_a_rule_is_401_without_a_challenge(auth_stack, tokens):
    assert_problem(requests.get(f"{auth_stack.url}/health"), 401, None)
    assert_problem(requests.get(f"{auth_stack.url}/health", headers=bearer(tokens["admin"])), 401, None)


def test_a_method_the_rule_does_not_list_is_405_with_allow(auth_stack, tokens):
    response = requests.delete(f"{auth_stack.url}/v1/datastore/teams", headers=bearer(tokens["admin"]))
    assert_problem(response, 405, None)
    assert response.headers["allow"] == "GET, HEAD, PUT"  # the route's rules together


def test_no_bearer_is_401_with_the_realm_challenge(auth_stack):
    assert_problem(requests.get(f"{auth_stack.url}/v1/flows"), 401, CHALLENGE)
    assert_problem(requests.get(f"{auth_stack.url}/v1/flows", headers={"Authorization": "Bearer "}), 401, CHALLENGE)


def test_a_token_in_the_query_string_is_ignored(auth_stack, tokens):
    for name in ("access_token", "token", "jwt", ":aud"):
        response = requests.get(f"{auth_stack.url}/v1/flows", params={name: tokens["admin"]})
        assert_problem(response, 401, CHALLENGE)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda p: p.unsigned_token(flyte_role="admin"), id="alg none"),
        pytest.param(lambda p: p.hmac_with_public_key_token(flyte_role="admin"), id="HS256 with the public key"),
        pytest.param(lambda p: p.token(flyte_role="admin", exp=int(time.time()) - 300), id="expired"),
        pytest.param(lambda p: p.token(flyte_role="admin", nbf=int(time.time()) + 3600), id="not yet valid"),
        pytest.param(lambda p: p.token(flyte_role="admin", iss="https://login.example.com"), id="wrong issuer"),
        pytest.param(lambda p: p.token(flyte_role="admin", aud="someone-else"), id="wrong audience"),
        pytest.param(lambda p: p.token_with_bad_signature(flyte_role="admin"), id="bad signature"),
        pytest.param(lambda p: p.token_signed_by_stranger(flyte_role="admin"), id="unknown kid"),
        pytest.param(lambda p: "Basic YWRtaW46YWRtaW4=", id="not a JWT"),
    ],
)
def test_forged_tokens_are_401_invalid_token(auth_stack, provider, forge):
    response = requests.post(
        f"{auth_stack.url}/v1/flows", json={"name": "forged", "steps": []}, headers={"Authorization": f"Bearer {forge(provider)}"}
    )
    assert_problem(response, 401, INVALID)


def test_a_valid_token_without_the_claims_is_401_without_a_challenge(auth_stack, tokens):
    response = requests.post(f"{auth_stack.url}/v1/flows", json={"name": "x", "steps": []}, headers=bearer(tokens["reader"]))
    assert_problem(response, 401, None)
    response = requests.put(
        f"{auth_stack.url}/v1/datastore/teams", files={"value": ("v", b"{}", "application/json")}, headers=bearer(tokens["pack"])
    )
    assert_problem(response, 401, None)


def test_tokens_with_the_claims_pass_with_any_case_of_bearer_or_none(auth_stack, tokens, provider):
    for authorization in (f"Bearer {tokens['reader']}", f"bearer {tokens['reader']}", tokens["reader"]):
        response = requests.get(f"{auth_stack.url}/v1/flows", headers={"Authorization": authorization})
        assert response.status_code == 200, response.text
    put = requests.put(
        f"{auth_stack.url}/v1/datastore/teams",
        files={"value": ("v", b'{"a":1}', "application/json")},
        headers=bearer(tokens["admin"]),
    )
    assert put.status_code in (201, 204), put.text
    listed = requests.get(f"{auth_stack.url}/v1/datastore", headers=bearer(tokens["reader"])).json()["datastore"]
    assert [item["updatedBy"] for item in listed if item["key"] == "teams"] == [
        {"iss": provider.issuer, "sub": "ana", "email": "ana@example.com"}
    ]


def test_a_posted_created_by_is_not_believed(auth_stack, tokens, provider):
    flow = {**FLOW, "name": "spoofed", "createdBy": {"sub": "someone-else"}}
    assert requests.post(f"{auth_stack.url}/v1/flows", json=flow, headers=bearer(tokens["admin"])).status_code == 201
    shown = requests.get(f"{auth_stack.url}/v1/flows/spoofed", headers=bearer(tokens["reader"])).json()
    assert shown["createdBy"] == {"iss": provider.issuer, "sub": "ana", "email": "ana@example.com"}


FLOW = {
    "name": "say_hello",
    "steps": [
        {
            "id": "hello",
            "event": {"packName": "Chat", "name": "Said"},
            "command": {"packName": "Shell", "name": "Shell", "input": "echo hello {{ Event.Payload.who }}"},
        }
    ],
}


def test_the_sdk_and_the_shell_pack_send_flyte_jwt(auth_stack, tokens, provider):
    """A chat pack written with the SDK and the Shell pack program, both given FLYTE_JWT, run a flow
    an admin posted; without the token neither gets anywhere."""
    url = auth_stack.url
    assert requests.post(f"{url}/v1/flows", json=FLOW, headers=bearer(tokens["admin"])).status_code == 201

    env = {**os.environ, "FLYTE_API": url, "FLYTE_JWT": tokens["pack"], "FLYTE_PACK_POLL_WAIT": "1"}
    shell = start_pack_program(url, "flyte_shell_pack", "Shell", env, headers=bearer(tokens["reader"]))
    chat = Pack(
        "Chat",
        events=[EventDef("Said")],
        commands=[Command("Noop", handler=lambda _: None, output_events=[])],
        api_url=url,
        jwt=tokens["pack"],
        poll_wait=1,
    )
    try:
        chat.start(block=False)
        assert chat.wait_registered(15)
        chat.send_event(Event("Said", {"who": "auth"}))
        deadline = time.monotonic() + 30
        while True:
            executions = requests.get(
                f"{url}/v1/audit/flows", params={"flowName": "say_hello"}, headers=bearer(tokens["reader"])
            ).json()["flows"]
            action = executions[0]["actions"]["hello"] if executions else None
            if action and action["state"]["value"] == "SUCCESS":
                break
            assert time.monotonic() < deadline, executions
            time.sleep(0.3)
        assert action["result"]["payload"]["stdout"] == "hello auth\n"
        # Who did it (item 7): the flow version's author in the audit and on the flow, the packs' registrants.
        assert executions[0]["createdBy"] == {"iss": provider.issuer, "sub": "ana", "email": "ana@example.com"}
        flow = requests.get(f"{url}/v1/flows/say_hello", headers=bearer(tokens["reader"])).json()
        assert flow["createdBy"] == {"iss": provider.issuer, "sub": "ana", "email": "ana@example.com"}
        for pack_id in ("Shell", "Chat"):
            pack = requests.get(f"{url}/v1/packs/{pack_id}", headers=bearer(tokens["reader"])).json()
            assert pack["registeredBy"] == {"iss": provider.issuer, "sub": "shell-pack"}
    finally:
        chat.stop(timeout=15)
        shell.terminate()
        shell.communicate(timeout=15)

    # The same pack without its token is refused at registration.
    response = requests.post(f"{url}/v1/packs", json={"name": "Chat", "events": [{"name": "Said"}]})
    assert_problem(response, 401, CHALLENGE)


def test_any_valid_token_may_dry_run_replay_and_read_traces_and_none_may_not(auth_stack, tokens):
    flow = {
        "name": "explained",
        "steps": [{"id": "a", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Dst", "name": "Do"}}],
    }
    dry_run = {"flow": flow, "event": {"packName": "Src", "event": "E"}}
    for path, body in (("/v1/flows/test", dry_run), ("/v1/flows/replay", {"flow": flow})):
        assert_problem(requests.post(f"{auth_stack.url}{path}", json=body), 401, CHALLENGE)
        assert requests.post(f"{auth_stack.url}{path}", json=body, headers=bearer(tokens["reader"])).status_code == 200
    assert requests.get(f"{auth_stack.url}/v1/audit/events", headers=bearer(tokens["reader"])).status_code == 200
    stored = requests.post(f"{auth_stack.url}/v1/flows/explained/test", json=dry_run, headers=bearer(tokens["reader"]))
    assert stored.status_code == 404  # passed the policy; no such stored flow
