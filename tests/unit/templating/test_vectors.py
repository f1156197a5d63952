"""The 84 test vectors of api-contract §10.8, from vectors.jsonl (fixtures in fixtures.json).

Each line is ``[template, context, expected, source]`` plus, for the three vectors where the
original's behaviour is a weakness of api-contract §13.9, a fifth element giving the original expectation
and the reason for the deviation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flyte_core.domain.templating import TemplateError, check, render

HERE = Path(__file__).resolve().parent
VECTORS = [json.loads(line) for line in (HERE / "vectors.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def _id(index: int, vector: list) -> str:
    return f"{index + 1:02d}-{vector[3]}"


def test_all_spec_vectors_are_present():
    assert len(VECTORS) == 84
    deviations = [v for v in VECTORS if len(v) == 5]
    assert [v[4]["original"] for v in deviations] == ["5.000000", "False", "<map[string]interface {} Value>"]


@pytest.mark.parametrize("vector", VECTORS, ids=[_id(i, v) for i, v in enumerate(VECTORS)])
def test_vector(vector, spec_fixtures, ds):
    template, context, expected = vector[0], vector[1], vector[2]
    variables = spec_fixtures["contexts"][context] if isinstance(context, str) else context
    reader = ds
    if expected == "ERROR" or expected.startswith("ERROR:"):
        with pytest.raises(TemplateError) as caught:
            render(template, variables, reader)
        if expected.startswith("ERROR:"):
            assert expected[len("ERROR:") :] in caught.value.message
        return
    check(template)  # every template that renders must also pass the POST-time check
    output = render(template, variables, reader)
    if expected.startswith("~"):
        assert re.search(expected[1:], output), output
    else:
        assert output == expected
