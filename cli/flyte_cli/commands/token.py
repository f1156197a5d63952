"""`flyte token mint|rotate|revoke|revocations|unrevoke`: tokens of the stack's own issuer (issues 11, 19).

The issuer signs with a secret only the stack's administrators can read, so minting and rotating
are not HTTP endpoints: they are the admin commands `python -m flyte_core.tokens mint|rotate` of the
flyte_core layer, which use the secret with the caller's AWS credentials. These commands run them
where the layer can be found (installed, or the repository the CLI comes from or runs in).
Revocations go through the API (`/v1/tokens/revocations`, an admin token by the default policy).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import documents
from ..api import Api, CliFailure, item
from ..output import OutputOption, done, emit, new_table

app = typer.Typer(help="Tokens of the stack's own issuer.", no_args_is_help=True)

ISSUER_MODULE = "flyte_core.tokens"


@app.command("mint")
def mint(
    claim: Annotated[list[str], typer.Option("--claim", "-c", help="K=V, a claim of the token (repeat a name for a list).")] = [],  # noqa: B006 (Typer's idiom)
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject",
            "--sub",
            help="Who the token is for (recorded with what "
            "it changes); default: --claim sub=..., else the issuer's default "
            "(your user name).",
            show_default=False,
        ),
    ] = None,
    ttl: Annotated[str, typer.Option("--ttl", help="How long it is valid: 30d, 12h, 15m, 90s (at most 90d).")] = "30d",
    pack: Annotated[
        str | None,
        typer.Option("--pack", help="A pack token bound to this pack name: it may act as no other pack.", show_default=False),
    ] = None,
    secret_id: Annotated[
        str | None,
        typer.Option(
            "--secret-id",
            help="The stack's token secret (its output TokenSecretArn); default $FLYTE_TOKEN_SECRET_ARN.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Mint a token with chosen claims and expiry (prints the token)."""
    named = documents.pairs(claim, "--claim")  # malformed claims are usage errors, before anything runs
    subject = subject or named.get("sub")
    arguments = [sys.executable, "-m", ISSUER_MODULE, "mint", "--ttl", ttl]
    arguments += ["--subject", subject] if subject else []
    arguments += ["--pack", pack] if pack else []
    for value in claim:
        if not value.startswith("sub="):  # the subject is its own argument
            arguments += ["--claim", value]
    _run_issuer(arguments, secret_id)


SecretIdOption = Annotated[
    str | None,
    typer.Option(
        "--secret-id",
        help="The stack's token secret (its output TokenSecretArn); default $FLYTE_TOKEN_SECRET_ARN.",
        show_default=False,
    ),
]


@app.command("rotate")
def rotate(
    grace: Annotated[
        str, typer.Option("--grace", help="How long tokens signed with the previous key stay valid: 1h, 30m, 0 (none).")
    ] = "1h",
    secret_id: SecretIdOption = None,
) -> None:
    """Sign with a new key from now on; the previous key verifies until the grace period ends."""
    _run_issuer([sys.executable, "-m", ISSUER_MODULE, "rotate", "--grace", grace], secret_id)


def _run_issuer(arguments: list[str], secret_id: str | None) -> None:
    arguments = arguments + (["--secret-id", secret_id] if secret_id else [])
    finished = subprocess.run(arguments, env=_issuer_environment(), check=False)
    if finished.returncode != 0:  # the issuer said why on stderr; 2 is its usage error, as ours
        raise typer.Exit(2 if finished.returncode == 2 else 1)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    jti: Annotated[str | None, typer.Option("--jti", help="The id of the one token to refuse.", show_default=False)] = None,
    sub: Annotated[
        str | None, typer.Option("--sub", help="Refuse every token of this subject issued until now.", show_default=False)
    ] = None,
    issuer: Annotated[
        str | None, typer.Option("--issuer", help="With --sub: only that issuer's tokens (default: any).", show_default=False)
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why, kept with the revocation.")] = "",
    output: OutputOption = None,
) -> None:
    """Revoke a token (--jti) or a subject's tokens (--sub); every function refuses them within a minute."""
    if (jti is None) == (sub is None):
        raise typer.BadParameter("give exactly one of --jti or --sub")
    if issuer is not None and sub is None:
        raise typer.BadParameter("--issuer goes with --sub")
    body: dict[str, str] = {"jti": jti} if jti is not None else {"sub": sub or "", **({"iss": issuer} if issuer else {})}
    if reason:
        body["reason"] = reason
    api: Api = ctx.obj
    emit(api.call("POST", api.revocations(), json=body, offered_as="token revocation"), output, _revocations_table)


@app.command("revocations")
def revocations(ctx: typer.Context, output: OutputOption = None) -> None:
    """List revoked tokens and subjects."""
    api: Api = ctx.obj
    emit(api.get_json(api.revocations(), offered_as="token revocation"), output, _revocations_table)


@app.command("unrevoke")
def unrevoke(ctx: typer.Context, revocation_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Lift a revocation (its ID from `flyte token revocations`)."""
    api: Api = ctx.obj
    api.request("DELETE", item(api.revocations(), revocation_id), offered_as="token revocation")
    done(f"Lifted revocation {revocation_id}")


def _revocations_table(body: dict[str, Any]) -> Any:
    table = new_table("ID", "REVOKES", "ISSUER", "REVOKED AT", "BY", "REASON")
    for entry in body.get("revocations", [body] if "id" in body else []):
        what = f"token {entry['jti']}" if "jti" in entry else f"subject {entry.get('sub')}"
        by = (entry.get("revokedBy") or {}).get("sub", "")
        table.add_row(entry.get("id"), what, entry.get("iss", ""), entry.get("revokedAt"), by, entry.get("reason", ""))
    return table


def _issuer_environment() -> dict[str, str]:
    """The environment in which `python -m flyte_core.tokens` imports: as it is when the layer is
    installed, else with the layer of the repository the CLI was installed from (editable) or is run in."""
    if _importable(ISSUER_MODULE):
        return dict(os.environ)
    for layer in (Path(__file__).resolve().parents[3] / "layers" / "flyte_core", Path.cwd() / "layers" / "flyte_core"):
        if (layer / "flyte_core" / "tokens.py").is_file():
            path = os.pathsep.join(filter(None, (str(layer), os.environ.get("PYTHONPATH"))))
            return {**os.environ, "PYTHONPATH": path}
    raise CliFailure(
        f"The stack's token issuer is not available here: `flyte token mint` runs `python -m "
        f"{ISSUER_MODULE} mint`, which needs the flyte_core layer (run it in the Flyte repository, "
        "with its .venv) and AWS credentials that can read the stack's signing secret."
    )


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False
