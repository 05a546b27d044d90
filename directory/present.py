"""How pages say things to people: US dates and times, opening status, prices, time zones.

The locale is set here and nowhere else (LOCALE); templates reach these helpers as filters and
globals (init_app), so a page never formats a date or a price by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_timezone, get_timezone_name
from babel.numbers import format_currency
from flask import Flask

from directory.jsonld import DAY_NAMES
from registry import vocabulary
from registry.derive import week_minutes
from registry.schema import DAYS

LOCALE = "en_US"
WEEK = 7 * 1440


def long_date(value: date | datetime | str | None) -> str:
    """'2026-05-05', a date or a datetime -> 'May 5, 2026' ('' for nothing)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    return format_date(value, "long", locale=LOCALE)


def clock(hhmm: str) -> str:
    """'17:00' -> '5 PM', '09:30' -> '9:30 AM', '00:00' and '24:00' -> 'midnight'."""
    hours, minutes = int(hhmm[:2]), int(hhmm[3:5])
    if hours % 24 == 0 and minutes == 0:
        return "midnight"
    return format_time(time(hours % 24, minutes), "h a" if minutes == 0 else "h:mm a", locale=LOCALE)


def span_text(span: str) -> str:
    """'09:00-17:00' -> '9 AM – 5 PM'."""
    start, end = span.split("-")
    return f"{clock(start)} – {clock(end)}"


def zone_name(zone: str | None) -> str:
    """'America/New_York' -> 'Eastern Time' (the zone id itself when the locale has no name)."""
    if not zone:
        return ""
    try:
        return get_timezone_name(get_timezone(zone), "long", locale=LOCALE)
    except LookupError:
        return zone.replace("_", " ")


def money(amount: float | None, currency: str = "USD") -> str:
    """375 -> '$375', 1250.4 -> '$1,250' (whole units: prices here are per session)."""
    if amount is None:
        return ""
    return format_currency(round(amount), currency, "¤#,##0", locale=LOCALE, currency_digits=False)


@dataclass(frozen=True)
class OpenStatus:
    is_open: bool
    headline: str  # "Open now" or "Closed now"
    detail: str  # "Closes at 5 PM", "Opens tomorrow at 9 AM", or ""


def open_status(hours: dict | None, now: datetime | None = None) -> OpenStatus | None:
    """Open or closed right now in the clinic's own time zone, and when that changes.

    None when the clinic lists no hours (we do not guess).
    """
    if not hours or not hours.get("timezone"):
        return None
    try:
        local = (now or datetime.now(UTC)).astimezone(ZoneInfo(hours["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        return None
    spans = sorted((s["gte"], s["lt"]) for s in week_minutes(hours))
    if not spans:
        return OpenStatus(False, "Closed now", "")
    minute = local.weekday() * 1440 + local.hour * 60 + local.minute
    current = next(((start, end) for start, end in spans if start <= minute < end), None)
    if current:
        # Back-to-back spans (one day open to midnight, the next from midnight) are one opening.
        ends = dict(spans)
        end = current[1]
        while end % WEEK in ends and end - minute < WEEK:
            end += ends[end % WEEK] - end % WEEK
        if end - minute >= WEEK:
            return OpenStatus(True, "Open now", "Open around the clock")
        return OpenStatus(True, "Open now", f"Closes {_when(minute, end, 'at')}")
    opens = min((start - minute) % WEEK for start, _ in spans)
    return OpenStatus(False, "Closed now", f"Opens {_when(minute, minute + opens, 'at')}")


def _when(now_minute: int, at_minute: int, word: str) -> str:
    """'at 5 PM', 'tomorrow at 9 AM' or 'Tuesday at 9 AM', seen from `now_minute` of the week."""
    days_ahead = at_minute // 1440 - now_minute // 1440
    day_minute = at_minute % 1440
    text = f"{word} {clock(f'{day_minute // 60:02d}:{day_minute % 60:02d}')}"
    if day_minute == 0 and days_ahead == 1:
        return f"{word} midnight"
    if days_ahead == 0:
        return text
    if days_ahead == 1:
        return f"tomorrow {text}"
    return f"{DAY_NAMES[DAYS[(at_minute // 1440) % 7]]} {text}"


def init_app(app: Flask) -> None:
    """Register the helpers with Jinja."""
    for name in ("long_date", "clock", "span_text", "zone_name", "money"):
        app.add_template_filter(globals()[name], name)
    app.add_template_global(open_status, "open_status")
    app.add_template_global(vocabulary.treatments, "treatment_names")
    app.add_template_global(DAY_NAMES, "day_names")
