"""`flyte token mint`: a token from the stack's own issuer (issue 11), for packs and people.

The issuer signs with a secret only the stack's administrators can read, so minting is not an HTTP
endpoint: it is the admin command `python -m flyte_core.tokens mint --subject WHO --claim K=V --ttl 30d`
of the flyte_core layer, which reads the secret with the caller's AWS credentials. This command runs
that, when the layer is installed beside the CLI (the repository's .venv).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from typing import Annotated

import typer

from .. import documents
from ..api import CliFailure

app = typer.Typer(help="Tokens of the stack's own issuer.", no_args_is_help=True)

ISSUER_MODULE = "flyte_core.tokens"


@app.command("mint")
def mint(
    claim: Annotated[list[str], typer.Option("--claim", "-c", help="K=V, a claim of the token (repeat a name for a "
                                             "list).")] = [],  # noqa: B006 (Typer's idiom)
    subject: Annotated[str | None, typer.Option("--subject", "--sub", help="Who the token is for (recorded with what "
                                                "it changes); default: the value of --claim sub=...",
                                                show_default=False)] = None,
    ttl: Annotated[str, typer.Option("--ttl", help="How long it is valid: 30d, 12h, 15m, 90s.")] = "30d",
    secret_id: Annotated[str | None, typer.Option("--secret-id", help="The stack's token secret (its output "
                                                  "TokenSecretArn); default $FLYTE_TOKEN_SECRET_ARN.",
                                                  show_default=False)] = None,
) -> None:
    """Mint a token with chosen claims and expiry (prints the token)."""
    named = documents.pairs(claim, "--claim")  # malformed claims are usage errors, before anything runs
    subject = subject or named.get("sub")
    claims = [value for value in claim if not value.startswith("sub=")]  # the subject is its own argument
    if not subject:
        raise typer.BadParameter("say who the token is for: --subject NAME (or --claim sub=NAME)",
                                 param_hint="--subject")
    if not _importable(ISSUER_MODULE):
        raise CliFailure(f"The stack's token issuer is not available here: `flyte token mint` runs `python -m "
                         f"{ISSUER_MODULE} mint`, which needs the flyte_core layer installed (use the Flyte "
                         "repository's .venv) and AWS credentials that can read the stack's signing secret.")
    arguments = [sys.executable, "-m", ISSUER_MODULE, "mint", "--subject", subject, "--ttl", ttl]
    for value in claims:
        arguments += ["--claim", value]
    if secret_id:
        arguments += ["--secret-id", secret_id]
    finished = subprocess.run(arguments, check=False)
    if finished.returncode != 0:  # the issuer said why on stderr; 2 is its usage error, as ours
        raise typer.Exit(2 if finished.returncode == 2 else 1)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False
