"""The CLI against a stack secure by default (issue 11): tokens minted with `flyte token mint` from
the stack's own secret, sent as FLYTE_JWT or --token; refusals on stderr with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from flyte_local.application import physical_name

from .conftest import run_flyte

pytestmark = pytest.mark.e2e
QUICK_START = Path(__file__).resolve().parents[2] / "examples" / "uk-bank-holidays.flow.yaml"


def test_minted_tokens_let_the_cli_in_and_refusals_say_why(secure_stack):
    url, secret = secure_stack.url, physical_name("TokenSecret")
    shell = {"AWS_ENDPOINT_URL": secure_stack.backend.endpoint}  # the admin's shell says where AWS is
    admin = run_flyte(
        url, "token", "mint", "--subject", "ana", "--claim", "flyte_role=admin", "--ttl", "1h", "--secret-id", secret, env=shell
    )
    assert admin.code == 0, admin.stderr
    reader = run_flyte(url, "token", "mint", "--claim", "sub=rui", "--ttl", "1h", "--secret-id", secret, env=shell)
    assert reader.code == 0, reader.stderr

    anonymous = run_flyte(url, "flows", "apply", "-f", str(QUICK_START))
    assert anonymous.code == 1 and "Error: Unauthorized (401)" in anonymous.stderr
    as_reader = run_flyte(url, "flows", "apply", "-f", str(QUICK_START), env={"FLYTE_JWT": reader.stdout.strip()})
    assert as_reader.code == 1 and "Unauthorized (401)" in as_reader.stderr  # a valid token without the claim
    as_admin = run_flyte(url, "flows", "apply", "-f", str(QUICK_START), env={"FLYTE_JWT": admin.stdout.strip()})
    assert as_admin.code == 0, as_admin.stderr

    listed = run_flyte(url, "--token", reader.stdout.strip(), "flows", "list")
    assert listed.code == 0 and [flow["name"] for flow in json.loads(listed.stdout)["flows"]] == ["next_uk_bank_holidays"]


def test_pack_tokens_are_bound_and_revocations_are_managed_from_the_cli(secure_stack):
    url, secret = secure_stack.url, physical_name("TokenSecret")
    shell = {"AWS_ENDPOINT_URL": secure_stack.backend.endpoint}
    unbound = run_flyte(url, "token", "mint", "--claim", "flyte_role=pack", "--secret-id", secret, env=shell)
    assert unbound.code == 2 and "mint it with --pack NAME" in unbound.stderr
    too_long = run_flyte(url, "token", "mint", "--pack", "Shell", "--ttl", "100000d", "--secret-id", secret, env=shell)
    assert too_long.code == 2 and "90 days" in too_long.stderr
    pack = run_flyte(url, "token", "mint", "--pack", "Shell", "--ttl", "1h", "--secret-id", secret, env=shell)
    assert pack.code == 0, pack.stderr
    claims = jwt.decode(pack.stdout.strip(), options={"verify_signature": False})
    assert (claims["flyte_pack"], claims["flyte_role"], claims["sub"]) == ("Shell", "pack", "Shell")
    admin = run_flyte(url, "token", "mint", "--claim", "flyte_role=admin", "--ttl", "1h", "--secret-id", secret, env=shell)
    as_admin = {"FLYTE_JWT": admin.stdout.strip()}

    revoked = run_flyte(url, "token", "revoke", "--jti", claims["jti"], "--reason", "host rebuilt", "-o", "json", env=as_admin)
    assert revoked.code == 0, revoked.stderr
    entry = json.loads(revoked.stdout)
    assert (entry["jti"], entry["reason"]) == (claims["jti"], "host rebuilt")
    listed = run_flyte(url, "token", "revocations", env=as_admin)
    assert listed.code == 0 and entry["id"] in listed.stdout and "host rebuilt" in listed.stdout
    both = run_flyte(url, "token", "revoke", "--jti", "a", "--sub", "b", env=as_admin)
    assert both.code == 2 and "exactly one of --jti or --sub" in both.stderr
    as_pack = run_flyte(url, "token", "revocations", env={"FLYTE_JWT": pack.stdout.strip()})
    assert as_pack.code == 1 and "401" in as_pack.stderr
    lifted = run_flyte(url, "token", "unrevoke", entry["id"], env=as_admin)
    assert lifted.code == 0, lifted.stderr
    assert json.loads(run_flyte(url, "token", "revocations", "-o", "json", env=as_admin).stdout)["revocations"] == []


def test_export_and_import_send_the_token_the_cli_is_given(secure_stack, tmp_path):
    url, secret = secure_stack.url, physical_name("TokenSecret")
    shell = {"AWS_ENDPOINT_URL": secure_stack.backend.endpoint}
    admin = run_flyte(
        url, "token", "mint", "--claim", "flyte_role=admin", "--ttl", "1h", "--secret-id", secret, env=shell
    ).stdout.strip()
    reader = run_flyte(url, "token", "mint", "--claim", "sub=rui", "--ttl", "1h", "--secret-id", secret, env=shell).stdout.strip()
    assert run_flyte(url, "--token", admin, "flows", "apply", "-f", str(QUICK_START)).code == 0
    backup = tmp_path / "backup.jsonl"

    anonymous = run_flyte(url, "export", str(backup))
    assert anonymous.code == 1 and "Unauthorized (401)" in anonymous.stderr
    assert not backup.exists() and not Path(f"{backup}.partial").exists()  # a failed export leaves no file
    exported = run_flyte(url, "export", str(backup), env={"FLYTE_JWT": reader})  # reading needs any token of the stack
    assert exported.code == 0, exported.stderr
    (flow,) = [json.loads(line) for line in backup.read_text(encoding="utf-8").splitlines() if '"kind":"flow"' in line]
    assert flow["versions"][-1]["flow"]["createdBy"]["sub"]  # who posted it, kept in the file

    assert run_flyte(url, "--token", admin, "flows", "delete", "next_uk_bank_holidays").code == 0
    as_reader = run_flyte(url, "--token", reader, "import", str(backup))
    assert as_reader.code == 1 and "Unauthorized (401)" in as_reader.stderr  # writing flows needs the admin's claim
    assert run_flyte(url, "--token", reader, "flows", "get", "next_uk_bank_holidays").code == 1
    as_admin = run_flyte(url, "--token", admin, "import", str(backup))
    assert as_admin.code == 0, as_admin.stderr
    assert "1 flow (1 version)" in as_admin.stdout
    assert run_flyte(url, "--token", reader, "flows", "get", "next_uk_bank_holidays").code == 0
