"""The layer ships one consistent AWS SDK (issue 10, item 12).

A layer's botocore shadows the Lambda runtime's, so a layer with botocore but no boto3 ran the
runtime's boto3 on a botocore it was not released with. Both are pinned in the layer, together.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

from packaging.requirements import Requirement

REQUIREMENTS = Path(__file__).resolve().parents[2] / "layers" / "flyte_core" / "requirements.txt"


def pins() -> dict[str, str]:
    found = {}
    for line in REQUIREMENTS.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\[\]-]+)==(\S+)", line.strip())
        if match:
            found[Requirement(match.group(1)).name.lower()] = match.group(2)
    return found


def test_boto3_and_botocore_are_both_pinned_in_the_layer():
    assert {"boto3", "botocore"} <= set(pins())


def test_the_pinned_boto3_accepts_the_pinned_botocore():
    """What boto3 declares it needs (read from the installed boto3, which is the pinned one)."""
    assert importlib.metadata.version("boto3") == pins()["boto3"]
    needs = [Requirement(text) for text in importlib.metadata.requires("boto3") or []]
    botocore = next(need for need in needs if need.name == "botocore" and not need.marker)
    assert botocore.specifier.contains(pins()["botocore"])
