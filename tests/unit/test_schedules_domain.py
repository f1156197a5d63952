"""Schedule expressions (issue 22): parsing with reasons, and fire times across DST changes and month ends."""

from datetime import UTC, datetime, timedelta

import pytest

from flyte_core.domain import schedules
from flyte_core.domain.errors import InvalidInput

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def times_of(expression: str, tz: str, after: datetime, count: int) -> list[str]:
    parsed = schedules.parse_expression(expression)
    return [t.strftime("%Y-%m-%dT%H:%MZ") for t in schedules.fire_times(parsed, schedules.zone(tz), after, count)]


def local_of(expression: str, tz: str, after: datetime, count: int) -> list[str]:
    parsed = schedules.parse_expression(expression)
    zone = schedules.zone(tz)
    return [t.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") for t in schedules.fire_times(parsed, zone, after, count)]


def test_weekdays_at_nine_in_london_stay_at_nine_local_across_the_spring_change():
    # UK clocks go forward on Sunday 29 March 2026: 09:00 local is 09:00Z before, 08:00Z after.
    assert times_of("cron(0 9 ? * MON-FRI *)", "Europe/London", NOW, 6) == [
        "2026-03-23T09:00Z",
        "2026-03-24T09:00Z",
        "2026-03-25T09:00Z",
        "2026-03-26T09:00Z",
        "2026-03-27T09:00Z",
        "2026-03-30T08:00Z",
    ]


def test_the_five_field_unix_form_means_the_same_weekday_schedule():
    assert times_of("cron(0 9 * * 1-5)", "Europe/London", NOW, 6) == times_of("cron(0 9 ? * MON-FRI *)", "Europe/London", NOW, 6)
    assert schedules.parse_expression("cron(0 9 * * 1-5)").aws == "cron(0 9 ? * 2-6 *)"
    # 0 and 7 are both Sunday in Unix cron
    assert schedules.parse_expression("cron(30 6 * * 0,7)").aws == "cron(30 6 ? * 1,1 *)"


def test_a_time_the_spring_change_skips_does_not_fire_that_day():
    # US clocks jump from 02:00 to 03:00 on 8 March 2026: 02:30 does not exist that day.
    after = datetime(2026, 3, 6, 12, tzinfo=UTC)
    assert local_of("cron(30 2 * * ? *)", "America/New_York", after, 3) == [
        "Sat 2026-03-07 02:30 EST",
        "Mon 2026-03-09 02:30 EDT",
        "Tue 2026-03-10 02:30 EDT",
    ]


def test_a_time_the_autumn_change_repeats_fires_once():
    # UK clocks go back from 02:00 BST to 01:00 GMT on 25 October 2026: 01:30 happens twice.
    after = datetime(2026, 10, 24, 12, tzinfo=UTC)
    assert times_of("cron(30 1 * * ? *)", "Europe/London", after, 3) == [
        "2026-10-25T00:30Z",  # 01:30 BST, the first of the two
        "2026-10-26T01:30Z",
        "2026-10-27T01:30Z",
    ]


def test_hourly_in_a_zone_keeps_the_hours_that_exist():
    # 8 March 2026 in New York has 23 hours: hourly at :00 fires 23 times that local day.
    after = datetime(2026, 3, 8, 5, tzinfo=UTC) - timedelta(seconds=1)  # local midnight EST
    fired = schedules.fire_times(schedules.parse_expression("cron(0 * * * ? *)"), schedules.zone("America/New_York"), after, 30)
    day = [t for t in fired if t.astimezone(schedules.zone("America/New_York")).date().day == 8]
    assert len(day) == 23


def test_last_day_of_the_month_across_short_months_and_a_leap_year():
    after = datetime(2027, 12, 15, tzinfo=UTC)
    assert times_of("cron(0 18 L * ? *)", "UTC", after, 4) == [
        "2027-12-31T18:00Z",
        "2028-01-31T18:00Z",
        "2028-02-29T18:00Z",
        "2028-03-31T18:00Z",
    ]


def test_day_31_skips_months_without_one():
    assert times_of("cron(0 0 31 * ? *)", "UTC", datetime(2026, 1, 1, tzinfo=UTC), 3) == [
        "2026-01-31T00:00Z",
        "2026-03-31T00:00Z",
        "2026-05-31T00:00Z",
    ]


def test_nearest_weekday_and_nth_and_last_weekday():
    # 1 August 2026 is a Saturday: 1W is Monday 3 August (it does not cross into July)
    assert times_of("cron(0 8 1W * ? *)", "UTC", datetime(2026, 7, 15, tzinfo=UTC), 1) == ["2026-08-03T08:00Z"]
    # second Tuesday (3#2) and last Friday (6L) of January 2027
    assert times_of("cron(0 8 ? 1 3#2 2027)", "UTC", NOW, 1) == ["2027-01-12T08:00Z"]
    assert times_of("cron(0 8 ? 1 6L 2027)", "UTC", NOW, 1) == ["2027-01-29T08:00Z"]


def test_rate_counts_fixed_durations_from_its_start():
    start = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    parsed = schedules.parse_expression("rate(1 day)")
    fired = schedules.fire_times(parsed, schedules.zone("Europe/London"), start + timedelta(hours=1), 2, start)
    assert fired == [datetime(2026, 3, 29, 10, tzinfo=UTC), datetime(2026, 3, 30, 10, tzinfo=UTC)]  # 24 h, DST or not
    assert schedules.parse_expression("rate(5 minute)").aws == "rate(5 minutes)"


def test_at_fires_once_at_a_local_time():
    assert local_of("at(2026-07-01T09:15:00)", "Asia/Tokyo", NOW, 3) == ["Wed 2026-07-01 09:15 JST"]


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("every day", "is not cron"),
        ("cron(0 9 * * ? * *)", "has 6 fields"),
        ("cron(61 9 * * ? *)", "minutes field '61' is outside 0-59"),
        ("cron(0 9 * * * *)", "one of day-of-month and day-of-week must be '?'"),
        ("cron(0 9 1 * MON)", "fires on either"),
        ("cron(0 9 ? * FUNDAY *)", "day-of-week field"),
        ("cron(0 25 * * ? *)", "hours field"),
        ("rate(0 minutes)", "positive whole number"),
        ("rate(5 weeks)", "minutes, hours or days"),
        ("at(2026-07-01 09:15)", "yyyy-mm-ddThh:mm:ss"),
    ],
)
def test_a_bad_expression_is_refused_with_the_reason(expression, says):
    with pytest.raises(InvalidInput) as error:
        schedules.parse_schedule("nightly", {"expression": expression}, NOW)
    assert error.value.extra.get("field") == "expression" or getattr(error.value, "field", None) == "expression"
    assert says in error.value.detail


def test_schedule_fields_are_validated_by_name():
    for body, field in [
        ({"expression": "rate(5 minutes)", "timezone": "Mars/Olympus"}, "timezone"),
        ({"expression": "rate(5 minutes)", "missed": "maybe"}, "missed"),
        ({"expression": "rate(5 minutes)", "enabled": "yes"}, "enabled"),
        ({"expression": "at(2020-01-01T00:00:00)"}, "expression"),
        ({"expression": "rate(5 minutes)", "colour": "red"}, "colour"),
    ]:
        with pytest.raises(InvalidInput) as error:
            schedules.parse_schedule("s", body, NOW)
        assert field in error.value.detail
    with pytest.raises(InvalidInput, match="1 to 64"):
        schedules.check_name("bad name!")


def test_the_ticker_is_off_by_default_and_emits_flyte_tickers_tick():
    ticker = schedules.parse_schedule("Ticker", {}, NOW)
    assert not ticker.enabled and ticker.builtin
    on = schedules.parse_schedule("Ticker", {"enabled": True}, NOW)
    scheduled = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    assert schedules.fired_event_names(on) == {"packName": "Ticker", "name": "Tick"}
    assert schedules.fired_payload(on, scheduled) == {"time": "2026-03-20T09:00:00Z"}
    assert [t.second for t in on.next_times(NOW, 3)] == [0, 0, 0]
    with pytest.raises(InvalidInput, match="always runs"):
        schedules.parse_schedule("Ticker", {"enabled": True, "expression": "rate(5 minutes)"}, NOW)


def test_missed_policy_says_whether_a_late_firing_fires():
    fire = schedules.parse_schedule("a", {"expression": "rate(5 minutes)"}, NOW)
    skip = schedules.parse_schedule("b", {"expression": "rate(5 minutes)", "missed": "skip"}, NOW)
    late = NOW + timedelta(minutes=30)
    assert not schedules.is_missed(fire, NOW, late)
    assert schedules.is_missed(skip, NOW, late)
    assert not schedules.is_missed(skip, NOW, NOW + timedelta(seconds=50))
    assert schedules.idempotency_key("a", NOW) == "schedule:a@2026-03-20T12:00:00Z"
