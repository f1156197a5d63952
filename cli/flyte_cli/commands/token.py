"""`flyte token mint`: a token from the stack's own issuer (issue 11), for packs and people.

The issuer signs with a secret only the stack's administrators can read, so minting is not an HTTP
endpoint: it is the admin command `python -m flyte_core.tokens mint --claim K=V --ttl 30d` of the
flyte_core layer, which reads the secret with the caller's AWS credentials. This command runs that
where the layer can be found (installed, or the repository the CLI comes from or runs in).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from .. import documents
from ..api import CliFailure

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
    ttl: Annotated[str, typer.Option("--ttl", help="How long it is valid: 30d, 12h, 15m, 90s.")] = "30d",
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
    for value in claim:
        if not value.startswith("sub="):  # the subject is its own argument
            arguments += ["--claim", value]
    arguments += ["--secret-id", secret_id] if secret_id else []
    finished = subprocess.run(arguments, env=_issuer_environment(), check=False)
    if finished.returncode != 0:  # the issuer said why on stderr; 2 is its usage error, as ours
        raise typer.Exit(2 if finished.returncode == 2 else 1)


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
