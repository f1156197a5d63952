"""Shell completion of what the API holds: `flyte flows get <TAB>` lists the flows.

Completion runs without the global callback (Click parses resiliently), so a completer connects
from the parsed global options itself, briefly, and offers nothing when the API does not answer.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from . import profiles
from .api import Api, CliFailure

TIMEOUT_SECONDS = 2.0


def _names(resource: Callable[[Api], str], collection: str, field: str) -> Callable[..., list[str]]:
    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        options = ctx.find_root().params
        try:
            api = profiles.connect(options.get("api"), options.get("token"), options.get("profile"), TIMEOUT_SECONDS)
            entries = api.get_list(resource(api), collection)[collection]
        except (CliFailure, ValueError, AttributeError):
            return []
        return [str(entry[field]) for entry in entries if str(entry.get(field, "")).startswith(incomplete)]

    return complete


flows = _names(Api.flows, "flows", "name")
packs = _names(Api.packs, "packs", "id")
datastore_keys = _names(Api.datastore, "datastore", "key")
