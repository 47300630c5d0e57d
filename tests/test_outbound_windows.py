"""Calling windows in the called person's local time, with a fake clock (crm/outbound/windows.py)."""

from datetime import datetime

import pytest

from crm.outbound.settings import from_builtins
from crm.outbound.windows import may_call, zones_of

SHANGHAI = "+8613800138000"
SAN_FRANCISCO = "+14155550100"
US_TOLL_FREE = "+18005550100"  # could be anywhere in the North American numbering plan
EVERY_DAY = {day: ["09:00-21:00"] for day in
             ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


def campaign(**settings):
    return from_builtins({"name": "Test"} | settings)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)  # naive UTC, as the CRM keeps times


def test_a_number_where_it_is_already_night_is_not_called_while_the_center_is_in_its_day():
    settings = campaign(windows=EVERY_DAY)
    now = utc("2026-12-08 03:00")  # 11:00 in Shanghai
    assert may_call(SHANGHAI, settings, now).allowed
    night = utc("2026-12-08 11:00")  # 19:00 in Shanghai, 03:00 in San Francisco
    assert may_call(SHANGHAI, settings, night).allowed
    decision = may_call(SAN_FRANCISCO, settings, night)
    assert not decision.allowed
    assert decision.zones == ("America/Los_Angeles",)
    assert "America/Los_Angeles" in decision.reason and "03:00" in decision.reason


def test_the_window_is_read_on_the_local_weekday_and_its_bounds():
    settings = campaign(windows={"monday": ["09:00-12:00", "13:30-20:00"]})
    # Monday 2026-12-07 in Shanghai (UTC+8)
    assert may_call(SHANGHAI, settings, utc("2026-12-07 01:00")).allowed  # 09:00, the start is inside
    assert not may_call(SHANGHAI, settings, utc("2026-12-07 04:00")).allowed  # 12:00, the end is outside
    assert not may_call(SHANGHAI, settings, utc("2026-12-07 05:00")).allowed  # 13:00, the lunch gap
    assert may_call(SHANGHAI, settings, utc("2026-12-07 05:30")).allowed  # 13:30
    # 23:30 UTC on Sunday is 07:30 on Monday in Shanghai: still before the window
    assert not may_call(SHANGHAI, settings, utc("2026-12-06 23:30")).allowed
    # Tuesday has no window at all
    assert "outside the calling windows" in may_call(SHANGHAI, settings, utc("2026-12-08 02:00")).reason


def test_a_holiday_is_the_called_persons_local_date():
    settings = campaign(windows=EVERY_DAY, holidays=["2026-10-01"])
    # 2026-09-30 17:00 UTC is already 01:00 on October 1st in Shanghai: a holiday there, night anyway;
    # 2026-10-01 02:00 UTC is 10:00 on the holiday in Shanghai
    decision = may_call(SHANGHAI, settings, utc("2026-10-01 02:00"))
    assert not decision.allowed and "holiday" in decision.reason
    # ... while in San Francisco it is still September 30th, 19:00: inside the window
    assert may_call(SAN_FRANCISCO, settings, utc("2026-10-01 02:00")).allowed


def test_a_number_in_several_zones_is_called_only_when_every_zone_is_inside():
    zones = zones_of(US_TOLL_FREE)  # the whole plan: from Guam (UTC+10) to Hawaii (UTC-10)
    assert len(zones) > 1 and {"America/New_York", "America/Los_Angeles", "Pacific/Guam"} <= set(zones)
    early_to_midnight = campaign(windows={day: ["05:00-24:00"] for day in EVERY_DAY})
    # 20:00 UTC: 06:00 the next morning in Guam, 10:00 in Hawaii, 15:00 in New York: inside everywhere
    assert may_call(US_TOLL_FREE, early_to_midnight, utc("2026-12-08 20:00")).allowed
    # 14:00 UTC: 09:00 in New York, but 04:00 in Adak and midnight in Guam
    decision = may_call(US_TOLL_FREE, early_to_midnight, utc("2026-12-08 14:00"))
    assert not decision.allowed and "America/Adak (Tue 04:00 there)" in decision.reason
    # with the usual 09:00-21:00 only a few hours a day have every zone inside
    usual = campaign(windows=EVERY_DAY)
    open_hours = [h for h in range(24) if may_call(US_TOLL_FREE, usual, utc(f"2026-12-08 {h:02d}:00")).allowed]
    # 23:00 UTC is 09:00 the next day in Guam, 12:00 in Pago Pago and 19:30 in Newfoundland; 00:00 an hour later
    assert open_hours == [0, 23]


def test_a_number_without_a_known_zone_uses_the_campaigns_zone():
    unplaced = "+80012345678"  # an international freephone number has no zone
    assert zones_of(unplaced) == ()
    settings = campaign(windows=EVERY_DAY, time_zone="Europe/London")
    assert may_call(unplaced, settings, utc("2026-12-08 10:00")).allowed
    assert not may_call(unplaced, settings, utc("2026-12-08 22:00")).allowed


def test_an_aware_clock_is_taken_as_the_instant_it_is():
    from datetime import UTC, timedelta, timezone

    settings = campaign(windows=EVERY_DAY)
    beijing = timezone(timedelta(hours=8))
    assert may_call(SHANGHAI, settings, datetime(2026, 12, 8, 10, 0, tzinfo=beijing)).allowed
    assert not may_call(SHANGHAI, settings, datetime(2026, 12, 8, 22, 0, tzinfo=beijing)).allowed
    assert may_call(SHANGHAI, settings, datetime(2026, 12, 8, 2, 0, tzinfo=UTC)).allowed


@pytest.mark.parametrize("window", ["9-12", "09:00-08:00", "25:00-26:00", "09:00-24:30"])
def test_a_window_that_cannot_be_is_refused(window):
    from crm.errors import ValidationError

    with pytest.raises(ValidationError, match="windows.monday"):
        campaign(windows={"monday": [window]})
