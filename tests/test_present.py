"""US formats and "open now" as people read them, computed in each clinic's own time zone."""

from datetime import UTC, date, datetime

import pytest

from directory.present import clock, long_date, money, open_status, span_text, zone_name

HOURS = {
    "timezone": "America/Chicago",
    "mon": [],
    "tue": ["09:00-17:00"],
    "wed": ["09:00-12:00", "13:00-17:30"],
    "thu": ["20:00-24:00"],
    "fri": ["00:00-02:00"],
    "sat": ["10:00-14:00"],
    "sun": [],
}


@pytest.mark.parametrize(
    "utc, headline, detail",
    [
        ("2026-12-01T15:00:00", "Open now", "Closes at 5 PM"),  # Tue 9:00 in Chicago
        ("2026-12-01T22:59:00", "Open now", "Closes at 5 PM"),  # Tue 16:59
        ("2026-12-01T23:00:00", "Closed now", "Opens tomorrow at 9 AM"),  # Tue 17:00 sharp
        ("2026-12-02T18:30:00", "Closed now", "Opens at 1 PM"),  # Wed lunch break
        ("2026-12-02T20:00:00", "Open now", "Closes at 5:30 PM"),
        ("2026-12-04T03:00:00", "Open now", "Closes tomorrow at 2 AM"),  # Thu 21:00, runs past midnight
        ("2026-12-05T19:00:00", "Open now", "Closes at 2 PM"),  # Sat 13:00
        ("2026-12-06T18:00:00", "Closed now", "Opens Tuesday at 9 AM"),  # Sun: Mon closed too
        ("2026-12-07T18:00:00", "Closed now", "Opens tomorrow at 9 AM"),  # Mon
    ],
)
def test_open_status_in_the_clinics_time_zone(utc, headline, detail):
    status = open_status(HOURS, datetime.fromisoformat(utc).replace(tzinfo=UTC))
    assert (status.headline, status.detail) == (headline, detail)
    assert status.is_open is (headline == "Open now")


def test_open_status_across_daylight_saving_uses_local_time():
    # 9 AM in New York is 14:00 UTC in winter and 13:00 UTC in summer.
    hours = {"timezone": "America/New_York", **{d: ["09:00-17:00"] for d in ("mon", "tue", "wed")}}
    winter = open_status(hours, datetime(2026, 1, 6, 13, 30, tzinfo=UTC))
    summer = open_status(hours, datetime(2026, 7, 7, 13, 30, tzinfo=UTC))
    assert winter.headline == "Closed now" and summer.headline == "Open now"


def test_open_status_around_the_clock_and_without_hours():
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    always = {"timezone": "UTC", **{d: ["00:00-24:00"] for d in days}}
    assert open_status(always).detail == "Open around the clock"
    assert open_status(None) is None
    assert open_status({"timezone": "America/Denver"}).headline == "Closed now"


def test_us_formats():
    assert long_date("2026-05-05") == "May 5, 2026"
    assert long_date(date(2026, 12, 31)) == "December 31, 2026"
    assert long_date("2026-08-27T21:49:48+00:00") == "August 27, 2026"
    assert clock("17:00") == "5 PM" and clock("09:30") == "9:30 AM" and clock("12:00") == "12 PM"
    assert clock("00:00") == clock("24:00") == "midnight"
    assert span_text("10:00-14:00") == "10 AM – 2 PM"
    assert money(375) == "$375" and money(1250.4) == "$1,250"
    assert zone_name("America/Los_Angeles") == "Pacific Time"
