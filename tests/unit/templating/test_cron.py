"""matchesCron in the original's dialect (gronx v0.2.4) and RFC 3339 input (api-contract §10.5)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flyte_core.domain.templating import TemplateError, check, cron, render


def due(expression: str, when: str) -> bool:
    out = render("{{ when|matchesCron:expr }}", {"when": when, "expr": expression})
    assert out in ("True", "False")
    return out == "True"


@pytest.mark.parametrize(
    "expression, when, expected",
    [
        ("18 23 * * *", "2018-02-14T23:18:09.0481031Z", True),
        ("18 23 * * *", "2018-02-14T23:19:00Z", False),
        ("* * * * *", "2021-01-01T00:00:00Z", True),
        ("? ? ? ? ?", "2021-01-01T00:00:00Z", True),
        ("0,15,30 * * * *", "2021-01-01T10:30:00Z", True),
        ("10-20 * * * *", "2021-01-01T10:15:00Z", True),
        ("10-20 * * * *", "2021-01-01T10:21:00Z", False),
        ("*/15 * * * *", "2021-01-01T10:45:00Z", True),
        ("*/15 * * * *", "2021-01-01T10:46:00Z", False),
        ("5/20 * * * *", "2021-01-01T10:25:00Z", True),
        ("0-30/10 * * * *", "2021-01-01T10:20:00Z", True),
        ("0-30/10 * * * *", "2021-01-01T10:40:00Z", False),
        # names, case-insensitive; 7 is Sunday
        ("0 9 * JAN-MAR MON-FRI", "2021-02-01T09:00:00Z", True),  # Monday 1 Feb 2021
        ("0 9 * jan sat", "2021-01-02T09:00:00Z", True),
        ("0 9 * * 7", "2021-01-03T09:00:00Z", True),  # Sunday
        ("0 9 * * 0", "2021-01-03T09:00:00Z", True),
        # year field
        ("0 9 * * * 2021", "2021-01-03T09:00:00Z", True),
        ("0 9 * * * 2022", "2021-01-03T09:00:00Z", False),
        # day-of-month AND day-of-week (gronx), not OR (Vixie cron)
        ("0 0 13 * FRI", "2021-08-13T00:00:00Z", True),  # Friday the 13th
        ("0 0 13 * FRI", "2021-08-20T00:00:00Z", False),
        ("0 0 13 * FRI", "2021-07-13T00:00:00Z", False),
        # L, W, #
        ("0 0 L * *", "2021-02-28T00:00:00Z", True),
        ("0 0 L * *", "2024-02-28T00:00:00Z", False),
        ("0 0 15W * *", "2021-05-14T00:00:00Z", True),  # 15 May 2021 is a Saturday
        ("0 0 1W * *", "2021-05-03T00:00:00Z", True),  # 1 May is a Saturday -> Monday 3rd
        ("0 0 * * 5L", "2021-04-30T00:00:00Z", True),  # last Friday of April 2021
        ("0 0 * * 5L", "2021-04-23T00:00:00Z", False),
        ("0 0 * * 1#2", "2021-03-08T00:00:00Z", True),  # second Monday
        ("0 0 * * 1#2", "2021-03-15T00:00:00Z", False),
        # macros
        ("@daily", "2021-03-08T00:00:00Z", True),
        ("@hourly", "2021-03-08T05:00:00Z", True),
        ("@weekly", "2021-03-07T00:00:00Z", True),
        ("@5minutes", "2021-03-07T00:35:00Z", True),
        ("@30minutes", "2021-03-07T00:30:00Z", True),
        ("@yearly", "2021-01-01T00:00:00Z", True),
        # the wall clock of the timestamp's own offset
        ("30 1 * * *", "2021-03-08T01:30:00+05:30", True),
        ("0 20 * * *", "2021-03-08T01:30:00+05:30", False),
    ],
)
def test_matches_cron(expression, when, expected):
    assert due(expression, when) is expected


@pytest.mark.parametrize(
    "expression",
    [
        "not a cron expression",
        "* * * *",
        "* * * * * * *",
        "*/0 * * * *",
        "a * * * *",
        "1-x * * * *",
        "L * * * *",
        "* * * * 1W",
        "* * * * * JUNK",
    ],
)
def test_invalid_cron_is_an_error_whatever_the_time(expression):
    assert not cron.is_valid(expression)
    for when in ("2021-01-01T00:00:00Z", "2021-06-15T13:47:00Z"):
        with pytest.raises(TemplateError, match="Invalid Cron Expression"):
            render("{{ when|matchesCron:expr }}", {"when": when, "expr": expression})


def test_literal_cron_is_checked_when_the_flow_is_posted():
    with pytest.raises(TemplateError) as caught:
        check("{{ Event.Payload.t|matchesCron:'0 25 * *' }}")
    assert caught.value.column == 32
    check("{{ Event.Payload.t|matchesCron:'0 9 * * MON-FRI' }}")


@pytest.mark.parametrize(
    "when",
    [
        "2018-02-14 23:18:09Z",
        "2018-02-14T23:18:09",
        "2018-02-30T00:00:00Z",
        "2018-2-14T23:18:09Z",
        "2018-02-14t23:18:09z",
        "",
    ],
)
def test_dates_must_be_rfc3339(when):
    with pytest.raises(TemplateError, match="invalid date"):
        render("{{ when|matchesCron:'* * * * *' }}", {"when": when})


def test_time_values_are_accepted_directly():
    created = datetime(2021, 3, 8, 0, 0, tzinfo=UTC)
    assert render("{{ Event.CreatedAt|matchesCron:'0 0 * * MON' }}", {"Event": {"CreatedAt": created}}) == "True"
