"""Opening hours on the listing form: per-day open/close time pickers, several ranges a day,
closed days, and a time-zone picker in words, all turned back into the record's spans.

Field names: `hours.<day>.<n>.open` / `.close` (HTML time inputs, "HH:MM"), `hours.<day>.closed`,
and `hours.timezone`. A close time of 00:00 after an opening means midnight ("24:00").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from zoneinfo import available_timezones

from werkzeug.datastructures import MultiDict

from directory.present import zone_name
from registry.messages import MESSAGES, describe
from registry.schema import DAYS

EXTRA_RANGES = 1  # empty ranges offered per day, so a second range can be added without JavaScript
RANGE_FIELD = re.compile(r"^hours\.(mon|tue|wed|thu|fri|sat|sun)\.(\d+)\.(open|close)$")

# The zones people in the directory's country pick from, in words; every other zone follows.
COMMON_ZONES = (
    ("America/New_York", "Eastern Time (New York, Miami, Atlanta)"),
    ("America/Chicago", "Central Time (Chicago, Houston, Dallas)"),
    ("America/Denver", "Mountain Time (Denver, Salt Lake City)"),
    ("America/Phoenix", "Mountain Time without daylight saving (Arizona)"),
    ("America/Los_Angeles", "Pacific Time (Los Angeles, Seattle, Las Vegas)"),
    ("America/Anchorage", "Alaska Time"),
    ("Pacific/Honolulu", "Hawaii Time"),
    ("America/Puerto_Rico", "Atlantic Time (Puerto Rico)"),
)
# A state's most populous zone: the default for a listing that has no hours yet.
ZONE_STATES = {
    "America/New_York": "CT DC DE FL GA IN KY MA MD ME MI NC NH NJ NY OH PA RI SC VA VT WV",
    "America/Chicago": "AL AR IA IL KS LA MN MO MS ND NE OK SD TN TX WI",
    "America/Denver": "CO ID MT NM UT WY",
    "America/Los_Angeles": "CA NV OR WA",
    "America/Phoenix": "AZ",
    "America/Anchorage": "AK",
    "Pacific/Honolulu": "HI",
    "America/Puerto_Rico": "PR",
}
STATE_ZONES = {state: zone for zone, states in ZONE_STATES.items() for state in states.split()}


def zone_choices(current: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Option groups for the picker: the common zones in words, then every other zone by name."""
    common = dict(COMMON_ZONES)
    others = sorted(
        z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/"))
    )
    rest = [(z, f"{z.replace('_', ' ')} ({zone_name(z)})") for z in others if z not in common]
    if current and current not in common and current not in others:
        rest.insert(0, (current, current))
    return [("Common in the United States", list(COMMON_ZONES)), ("Everywhere else", rest)]


def default_zone(record: dict) -> str:
    """The stored zone, else the usual one for the clinic's state."""
    hours = record.get("hours") or {}
    state = (record.get("address") or {}).get("state", "").upper()
    return hours.get("timezone") or STATE_ZONES.get(state, "America/New_York")


def ranges_from_record(hours: dict | None) -> dict[str, list[tuple[str, str]]]:
    """{"mon": [("09:00", "17:00")], ...}: what the time pickers show."""
    hours = hours or {}
    return {day: [_pair(span) for span in hours.get(day) or []] for day in DAYS}


def _pair(span: str) -> tuple[str, str]:
    start, end = span.split("-")
    return start, "00:00" if end == "24:00" else end


def ranges_from_form(form: MultiDict) -> tuple[dict[str, list[tuple[str, str]]], set[str]]:
    """The ranges as typed (kept on error) and the days marked closed."""
    found: dict[str, dict[int, dict[str, str]]] = {day: {} for day in DAYS}
    for key, value in form.items():
        match = RANGE_FIELD.match(key)
        if match:
            day, index, side = match.group(1), int(match.group(2)), match.group(3)
            found[day].setdefault(index, {})[side] = value.strip()
    closed = {day for day in DAYS if form.get(f"hours.{day}.closed")}
    ranges = {
        day: [
            (r.get("open", ""), r.get("close", ""))
            for _, r in sorted(found[day].items())
            if r.get("open") or r.get("close")
        ]
        for day in DAYS
    }
    return ranges, closed


def spans(ranges: dict[str, list[tuple[str, str]]], closed: set[str]) -> dict[str, list[str]]:
    """Ranges -> the record's "HH:MM-HH:MM" spans; the schema then checks each one."""
    out = {}
    for day in DAYS:
        if day in closed:
            out[day] = []
            continue
        out[day] = [f"{start}-{_close(start, end)}" for start, end in ranges.get(day, [])]
    return out


def _close(start: str, end: str) -> str:
    return "24:00" if end == "00:00" and start not in ("", "00:00") else end


def values_from_record(record: dict) -> dict:
    """The form's hours values for a stored listing (no hours yet: nothing ticked, a likely zone)."""
    hours = record.get("hours")
    return {
        "hours.timezone": default_zone(record),
        "hours.ranges": ranges_from_record(hours),
        "hours.closed": {day for day in DAYS if hours and not hours.get(day)},
    }


def values_from_form(form: MultiDict) -> dict:
    ranges, closed = ranges_from_form(form)
    return {
        "hours.timezone": form.get("hours.timezone", "").strip(),
        "hours.ranges": ranges,
        "hours.closed": closed,
    }


def problems(values: dict) -> dict[str, str]:
    """What is wrong with the pickers, in the catalogue's words, by day ("hours.mon")."""
    found = {}
    for day in DAYS:
        if day in values["hours.closed"]:
            continue
        for start, end in values["hours.ranges"][day]:
            key = f"hours.{day}"
            if not start or not end:
                found[key] = describe(key, MESSAGES["hours_incomplete"])
            elif _close(start, end) <= start:
                found[key] = describe(key, MESSAGES["hours_order"])
            if key in found:
                break
    return found


def record_hours(values: dict, leave_out: Iterable[str] = ()) -> dict | None:
    """The record's `hours` (days in `leave_out`, already reported, as closed); None when no day
    has times and none is marked closed (hours not listed)."""
    ranges, closed = values["hours.ranges"], values["hours.closed"]
    if not closed and not any(ranges.values()):
        return None
    return {"timezone": values["hours.timezone"], **spans(ranges, closed | set(leave_out))}


def template_data(values: dict) -> dict:
    """What clinic/_hours.html draws."""
    zone = values["hours.timezone"]
    return {
        "ranges": values["hours.ranges"],
        "closed": values["hours.closed"],
        "zone": zone,
        "zones": zone_choices(zone),
        "extra": EXTRA_RANGES,
    }
