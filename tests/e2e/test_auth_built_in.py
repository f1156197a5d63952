"""Secure by default, end to end: the stack deployed with its defaults (the built-in issuer, the
README's starting policy in SSM) over the local stack, tokens minted with the admin command."""

from __future__ import annotations

import pytest
import requests

from flyte_core import tokens
from flyte_local.application import physical_name

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin_shell(backend, monkeypatch):
    """The admin's shell: the mint command finds the stack's AWS through its environment."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", backend.endpoint)


def mint(capsys, *arguments: str) -> str:
    assert tokens.main(["mint", "--secret-id", physical_name("TokenSecret"), *arguments]) == 0
    return capsys.readouterr().out.strip()


def test_the_default_stack_refuses_anonymous_writes_and_accepts_minted_tokens(secure_stack, admin_shell, capsys):
    url = secure_stack.url
    admin = {"Authorization": f"Bearer {mint(capsys, '--subject', 'ana', '--claim', 'flyte_role=admin', '--ttl', '1h')}"}
    reader = {"Authorization": f"Bearer {mint(capsys, '--subject', 'rui', '--ttl', '1h')}"}
    pack = {"Authorization": f"Bearer {mint(capsys, '--subject', 'bot', '--pack', 'Chat')}"}
    flow = {
        "name": "hello",
        "steps": [
            {
                "id": "a",
                "event": {"packName": "Chat", "name": "Said"},
                "command": {"packName": "Shell", "name": "Shell", "input": "echo hi"},
            }
        ],
    }

    assert requests.get(f"{url}/v1").status_code == 200  # discovery stays open for packs
    assert requests.post(f"{url}/v1/flows", json=flow).status_code == 401
    assert requests.get(f"{url}/v1/flows").status_code == 401
    assert requests.post(f"{url}/v1/flows", json=flow, headers=reader).status_code == 401
    assert requests.post(f"{url}/v1/flows", json=flow, headers=pack).status_code == 401
    assert requests.post(f"{url}/v1/flows", json=flow, headers=admin).status_code == 201
    assert [f["name"] for f in requests.get(f"{url}/v1/flows", headers=reader).json()["flows"]] == ["hello"]
    registered = requests.post(f"{url}/v1/packs", json={"name": "Chat", "events": [{"name": "Said"}]}, headers=pack)
    assert registered.status_code == 201, registered.text
    assert requests.post(f"{url}/v1/packs", json={"name": "Chat"}, headers=reader).status_code == 401
    assert requests.delete(f"{url}/v1/packs/Chat", headers=pack).status_code == 401


def test_secrets_are_for_admins_only_in_the_default_policy(secure_stack, admin_shell, capsys):
    """Issue 24: reading the list of secrets, let alone setting one, needs flyte_role admin."""
    url = secure_stack.url
    admin = {"Authorization": f"Bearer {mint(capsys, '--subject', 'ana', '--claim', 'flyte_role=admin', '--ttl', '1h')}"}
    reader = {"Authorization": f"Bearer {mint(capsys, '--subject', 'rui', '--ttl', '1h')}"}
    pack = {"Authorization": f"Bearer {mint(capsys, '--subject', 'bot', '--pack', 'Shell')}"}
    body = {"value": "admin-only-value", "scope": {"packs": ["Shell"]}}
    for headers in ({}, reader, pack):
        assert requests.put(f"{url}/v1/secrets/ci", json=body, headers=headers).status_code == 401
        assert requests.get(f"{url}/v1/secrets", headers=headers).status_code == 401
    created = requests.put(f"{url}/v1/secrets/ci", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["changedBy"]["sub"] == "ana"  # who set it, from the token
    assert [s["name"] for s in requests.get(f"{url}/v1/secrets", headers=admin).json()["secrets"]] == ["ci"]
    assert requests.delete(f"{url}/v1/secrets/ci", headers=reader).status_code == 401
    assert requests.delete(f"{url}/v1/secrets/ci", headers=admin).status_code == 204
