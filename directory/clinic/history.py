"""The change history in words: an audit row's {field: [old, new]} becomes lines a clinic can read,
such as "Sunday hours: closed → 10 AM – 2 PM" or "Price: $150–$250 → $129–$199"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime

from directory.present import DAY_NAMES, LOCALE, money, span_text, zone_name
from registry import vocabulary
from registry.provenance import LABELS as GROUP_LABELS

ACTIONS = {
    "edit": "Listing edited",
    "update": "Updated from a data feed",
    "kept-newer": "A data feed sent an older version; your newer listing was kept",
    "photo-added": "Photo added",
    "photo-edited": "Photo caption or order changed",
    "photo-removed": "Photo removed",
    "photo-hidden": "Photo hidden by our team",
    "photo-shown": "Photo shown again",
    "credential-verified": "Credential verified by our team",
    "credential-rejected": "Credential rejected by our team",
    "confirm": "Facts confirmed as still right",
}
SOURCES = {"clinic": "you", "admin": "our team", "feed": "data feed"}
LABELS = {
    "name": "Name",
    "description": "Description",
    "phone": "Phone",
    "website": "Website",
    "email": "Email",
}


@dataclass
class Change:
    """One audit row as the history page shows it."""

    when: str
    who: str
    what: str
    details: list[str]


def describe(entry, zone: str | None) -> Change:
    """An AuditEntry in words, its time in the clinic's time zone (UTC when it has none)."""
    return Change(
        when=local_time(entry.at, zone),
        who=entry.actor if entry.source in ("clinic", "admin") else SOURCES.get(entry.source, entry.source),
        what=ACTIONS.get(entry.action, entry.action.replace("-", " ").capitalize()),
        details=details(entry.action, entry.changes or {}),
    )


def local_time(moment: datetime, zone: str | None) -> str:
    """'December 1, 2026 at 4:12 PM ET'-style, in `zone`."""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return format_datetime(moment.astimezone(tz), "MMMM d, y 'at' h:mm a zzz", locale=LOCALE)


def details(action: str, changes: dict) -> list[str]:
    if action.startswith("credential-"):
        code = (changes.get("certification") or [None])[0]
        reason = (changes.get("reason") or [None, None])[1]
        line = credential_name(code) if code else "Credential"
        return [f"{line}: {reason}" if reason else line]
    if action.startswith("photo-") or action == "kept-newer":
        reason = (changes.get("reason") or [None, None])[1]
        return [f"Reason: {reason}"] if reason else []
    lines: list[str] = []
    for field, pair in changes.items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        lines += FIELDS.get(field, _generic(field))(old, new)
    return lines


def _generic(field: str) -> Callable[[object, object], list[str]]:
    label = LABELS.get(field, field.replace("_", " ").capitalize())

    def describe_field(old, new) -> list[str]:
        if field == "description" or isinstance(old, dict | list) or isinstance(new, dict | list):
            return [f"{label} changed"]
        return [f"{label}: {_text(old)} → {_text(new)}"]

    return describe_field


def _text(value) -> str:
    return "none" if value in (None, "") else f"{value}"


def _hours(old: dict | None, new: dict | None) -> list[str]:
    old, new = old or {}, new or {}
    lines = []
    if old.get("timezone") != new.get("timezone"):
        lines.append(
            f"Time zone: {zone_name(old.get('timezone')) or 'none'} → {zone_name(new.get('timezone'))}"
        )
    for day, name in DAY_NAMES.items():
        before, after = old.get(day) or [], new.get(day) or []
        if before != after:
            lines.append(f"{name} hours: {_spans(before)} → {_spans(after)}")
    return lines


def _spans(spans: list[str]) -> str:
    return ", ".join(span_text(s) for s in spans) if spans else "closed"


def _price(old: dict | None, new: dict | None) -> list[str]:
    return [f"Price per session: {_range(old)} → {_range(new)}"]


def _range(price: dict | None) -> str:
    if not price:
        return "not listed"
    currency = price.get("currency") or "USD"
    return f"{money(price['min'], currency)}–{money(price['max'], currency)}"


def _treatments(old: list | None, new: list | None) -> list[str]:
    names = vocabulary.treatments()
    added = [names.get(t, t) for t in new or [] if t not in (old or [])]
    removed = [names.get(t, t) for t in old or [] if t not in (new or [])]
    parts = ([f"added {', '.join(added)}"] if added else []) + (
        [f"removed {', '.join(removed)}"] if removed else []
    )
    return [f"Treatments: {'; '.join(parts)}"] if parts else []


def _credentials(old: list | None, new: list | None) -> list[str]:
    def key(cert: dict) -> tuple:
        return cert.get("code"), cert.get("number") or None

    before = {key(c): c for c in old or []}
    after = {key(c): c for c in new or []}
    lines = []
    for k, cert in after.items():
        label = _credential_label(cert)
        if k not in before:
            lines.append(
                f"Credential added: {label}" + ("" if cert.get("verified") else " (waiting for our check)")
            )
        elif before[k].get("verified") != cert.get("verified"):
            lines.append(
                f"Credential {'verified' if cert.get('verified') else 'no longer verified'}: {label}"
            )
        elif before[k].get("expires") != cert.get("expires"):
            lines.append(f"Credential expiry changed: {label}")
    lines += [f"Credential removed: {_credential_label(c)}" for k, c in before.items() if k not in after]
    return lines


def _credential_label(cert: dict) -> str:
    name = cert.get("name") or credential_name(cert.get("code"))
    return f"{name} ({cert['number']})" if cert.get("number") else name


def credential_name(code: str | None) -> str:
    return vocabulary.certifications().get(code or "", {}).get("name") or (code or "Credential")


def _address(old: dict | None, new: dict | None) -> list[str]:
    return [f"Address: {_one_line(old)} → {_one_line(new)}"]


def _one_line(address: dict | None) -> str:
    if not address:
        return "none"
    city_state = ", ".join(p for p in (address.get("city"), address.get("state")) if p)
    return ", ".join(
        p for p in (address.get("street"), f"{city_state} {address.get('postal_code') or ''}".strip()) if p
    )


def _prices(old: list | None, new: list | None) -> list[str]:
    """One line per treatment whose prices were added, changed or removed."""

    def by_treatment(prices: list | None) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in prices or []:
            out.setdefault(p["treatment"], []).append(_listed_price(p))
        return out

    before, after = by_treatment(old), by_treatment(new)
    names = vocabulary.treatments()
    lines = []
    for code in dict.fromkeys([*before, *after]):
        if before.get(code) != after.get(code):
            was, now = (
                "; ".join(before.get(code, [])) or "no price",
                "; ".join(after.get(code, [])) or "no price",
            )
            lines.append(f"{names.get(code, code)}: {was} → {now}")
    return lines


def _listed_price(price: dict) -> str:
    amount = (
        _range(price) if price["max"] != price["min"] else money(price["min"], price.get("currency") or "USD")
    )
    if price.get("unit") == "package":
        return f"{amount} for {price['sessions']} sessions"
    return f"{amount} a session"


def _confirmed(old, groups: list | None) -> list[str]:
    return [", ".join(GROUP_LABELS.get(g, g) for g in groups or [])]


FIELDS: dict[str, Callable[[object, object], list[str]]] = {
    "prices": _prices,
    "confirmed": _confirmed,
    "hours": _hours,
    "price_range": _price,
    "treatments": _treatments,
    "certifications": _credentials,
    "address": _address,
    "location": lambda old, new: ["Map pin moved"],
    "created": lambda old, new: [f"Listing created: {new}"],
    "updated_at": lambda old, new: [],
    "reviews": lambda old, new: [],
}
