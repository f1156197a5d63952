"""The repository's quick-start flow is the user's own file, byte for byte."""

from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "uk-bank-holidays.flow.yaml"
SEED = Path(__file__).resolve().parents[3] / "shared" / "examples" / "uk-bank-holidays.flow.yaml"


@pytest.mark.skipif(not SEED.exists(), reason="the workspace's shared/ folder is not beside this checkout")
def test_the_example_flow_is_the_seed_flow_verbatim():
    assert EXAMPLE.read_bytes() == SEED.read_bytes()
