"""Where each group of a listing's facts came from, when it last changed and when it was last confirmed.

A listing's facts fall into GROUPS (contact, hours, prices, credentials, photos). For each, the
store keeps (column `clinics.facts`):

    {"source": "clinic" | "admin" | "feed:<name>", "changed_at": ISO time, "confirmed_at": ISO time}

- a change made by the clinic's form, an administrator or a feed row sets both dates;
- a feed row confirms every group of the record it states (it states the whole record), even
  where nothing changed: "feeds confirm what they carry";
- a clinic confirms unchanged groups with one click in its form (audited as "confirm");
- a listing stored before this existed reads as changed and confirmed at its `updated_at` by its
  row's source (`complete`).

A group not confirmed for longer than the configured age (Settings.facts_max_age_days, 180 days
by default) is "possibly out of date" on the profile and the result card (`is_stale`).
The listing-edit service (registry.listings) is the only writer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

GROUPS = ("contact", "hours", "prices", "credentials", "photos")
# The record's fields in each group; photos live in their own table (registry.photos).
FIELDS = {
    "contact": ("name", "description", "address", "location", "phone", "website", "email"),
    "hours": ("hours",),
    "prices": ("treatments", "price_range", "prices"),
    "credentials": ("certifications",),
}
RECORD_GROUPS = tuple(FIELDS)
LABELS = {
    "contact": "Address and contact details",
    "hours": "Opening hours",
    "prices": "Treatments and prices",
    "credentials": "Credentials",
    "photos": "Photos",
}
DEFAULT_MAX_AGE_DAYS = 180


def changed_groups(old: dict | None, new: dict) -> set[str]:
    """The record groups whose fields differ between two versions of a record."""
    if old is None:
        return set(RECORD_GROUPS)
    return {g for g, names in FIELDS.items() if any(old.get(n) != new.get(n) for n in names)}


def stamped(facts: dict | None, groups, source: str, at: datetime, changed=()) -> dict:
    """`facts` with `groups` confirmed at `at` by `source`, and those in `changed` changed then too."""
    out = dict(facts or {})
    when = at.isoformat()
    for group in groups:
        entry = dict(out.get(group) or {"changed_at": when})
        entry["source"], entry["confirmed_at"] = source, when
        if group in changed:
            entry["changed_at"] = when
        out[group] = entry
    return out


def complete(facts: dict | None, updated_at: str | None, source: str) -> dict:
    """Every record group's facts, those never recorded read from the listing's own time and source."""
    out = dict(facts or {})
    for group in RECORD_GROUPS:
        if group not in out and updated_at:
            out[group] = {"source": source, "changed_at": updated_at, "confirmed_at": updated_at}
    return out


def is_stale(confirmed_at: str | None, today: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> bool:
    """Not confirmed within `max_age_days` of `today`."""
    return _stale(confirmed_at, today - timedelta(days=max_age_days))


def _stale(confirmed_at: str | None, cutoff: date) -> bool:
    return not confirmed_at or _day(confirmed_at) < cutoff


@lru_cache(maxsize=4096)
def _day(timestamp: str) -> date:
    """The date of an ISO timestamp, parsed once: a feed's listings share their confirmation time,
    and a page of results would otherwise parse the same string a hundred times."""
    return datetime.fromisoformat(timestamp).date()


def public(facts: dict, today: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> dict:
    """What the API and pages show of each group: source, dates and whether it may be out of date."""
    cutoff = today - timedelta(days=max_age_days)
    return {
        group: {**entry, "stale": _stale(entry.get("confirmed_at"), cutoff)}
        for group, entry in facts.items()
        if group in GROUPS
    }


def source_words(source: str) -> str:
    """'clinic' -> 'the clinic', 'admin' -> 'our team', 'feed:acme' -> 'the data feed “acme”'."""
    if source.startswith("feed:"):
        name = source.removeprefix("feed:")
        return f"the data feed “{name}”" if name else "a data feed"
    return {"clinic": "the clinic", "admin": "our team", "feed": "a data feed"}.get(source, source)
