"""The link documents of `/` and `/v1` (api-contract §2.1): packs find every URL through them."""

from __future__ import annotations

from typing import Any

from .links import link


def root_links(base: str) -> dict[str, Any]:
    return {"links": [link(base, "self"), link(f"{base}swagger#/info", "help"), link(f"{base}v1", f"{base}swagger#!/info/v1")]}


def v1_links(base: str, version: str | None = None) -> dict[str, Any]:
    """The original's links in its order, then this API's; and, when given, the release serving them."""
    doc = f"{base}swagger"
    document: dict[str, Any] = {
        "links": [
            link(f"{base}v1", "self"),
            link(base, "up"),
            link(f"{doc}#!/info/v1", "help"),
            link(f"{base}health", f"{doc}#!/info/health"),
            link(f"{base}v1/packs", f"{doc}#!/pack/listPacks"),
            link(f"{base}v1/flows", f"{doc}#!/flow/listFlows"),
            link(f"{base}v1/datastore", f"{doc}#!/datastore/listDatastoreItems"),
            link(f"{base}v1/audit/flows", f"{doc}#!/flowAudit/findFlows"),
            link(f"{base}v1/swagger", doc),
            # beyond the original (after its links, in its order): explainability
            link(f"{base}v1/audit/events", f"{doc}#!/eventAudit/findEvents"),
            link(f"{base}v1/flows/test", f"{doc}#!/flowTest/testFlow"),
            link(f"{base}v1/flows/replay", f"{doc}#!/flowTest/replayFlow"),
            # and trust between parties (issue 19)
            link(f"{base}v1/tokens/revocations", f"{doc}#!/token/listRevocations"),
        ]
    }
    if version is not None:
        document["version"] = version  # beyond the original: the release (CHANGELOG.md), for a support question
    return document
