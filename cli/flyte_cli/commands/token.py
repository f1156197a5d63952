"""`flyte token mint`: a token from the stack's own issuer (issue 11), for packs and people.

The issuer signs with a secret only the stack's administrators can read, so minting is not an HTTP
endpoint: it is the admin command `python -m flyte_core.tokens mint --claim K=V --ttl 30d` of the
flyte_core layer, which reads the secret with the caller's AWS credentials. This command runs that,
when the layer is installed beside the CLI (the repository's .venv).
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
    claim: Annotated[list[str], typer.Option("--claim", "-c", help="K=V, a claim of the token (repeatable).")],
    ttl: Annotated[str, typer.Option("--ttl", help="How long it is valid: 30d, 12h, 15m, or seconds.")] = "30d",
) -> None:
    """Mint a token with chosen claims and expiry (prints the token)."""
    documents.pairs(claim, "--claim")  # usage errors here, before anything runs
    if not _importable(ISSUER_MODULE):
        raise CliFailure(f"The stack's token issuer is not available here: `flyte token mint` runs `python -m "
                         f"{ISSUER_MODULE} mint`, which needs the flyte_core layer installed (use the Flyte "
                         "repository's .venv) and AWS credentials that can read the stack's signing secret.")
    arguments = [sys.executable, "-m", ISSUER_MODULE, "mint", "--ttl", ttl]
    for value in claim:
        arguments += ["--claim", value]
    finished = subprocess.run(arguments, check=False)
    if finished.returncode != 0:
        raise typer.Exit(1 if finished.returncode != 2 else 2)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False
