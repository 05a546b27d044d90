"""The listing form <-> the clinic record, validated by the same ClinicRecord schema as feeds.

Form field names follow the record's paths ("address.city", "certifications-0-code"; opening
hours as time pickers, see hours_form), so a schema error lands next to the input that caused it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from directory.clinic import hours_form
from registry.schema import ClinicRecord, ValidationError, flatten_errors

SCHEMA = ClinicRecord()
ADDRESS_FIELDS = ("street", "city", "state", "postal_code", "country")
CERT_FIELDS = ("code", "issuer", "number", "expires")
CERT_ROW = re.compile(r"^certifications-(\d+)-(code|issuer|number|expires|remove)$")
EXTRA_CERT_ROWS = 2
PRICE_FIELDS = ("treatment", "unit", "min", "max", "sessions", "note")
PRICE_ROW = re.compile(r"^prices-(\d+)-(treatment|unit|min|max|sessions|note|remove)$")
EXTRA_PRICE_ROWS = 2


@dataclass
class ListingForm:
    """What the clinic typed (kept on error), the record it makes, and per-field errors."""

    values: dict
    record: dict | None = None
    errors: dict[str, str] = field(default_factory=dict)
    new_claims: list[dict] = field(default_factory=list)


def values_from_record(record: dict) -> dict:
    """Initial form values for a stored record."""
    values = {k: record.get(k) or "" for k in ("name", "description", "phone", "website", "email")}
    for key in ADDRESS_FIELDS:
        values[f"address.{key}"] = record["address"].get(key) or ""
    values.update(hours_form.values_from_record(record))
    price = record.get("price_range") or {}
    values["price_range.min"] = _number(price.get("min"))
    values["price_range.max"] = _number(price.get("max"))
    values["price_range.currency"] = price.get("currency", "USD")
    values["treatments"] = list(record.get("treatments", []))
    values["prices"] = [
        {**{k: _text(p.get(k)) for k in PRICE_FIELDS}, "unit": p.get("unit") or "session"}
        for p in record.get("prices", [])
    ]
    location = record.get("location") or {}
    values["location.lat"], values["location.lon"] = location.get("lat", ""), location.get("lon", "")
    values["certifications"] = [
        {**{k: (c.get(k) or "") for k in CERT_FIELDS}, "verified": c.get("verified", False)}
        for c in record.get("certifications", [])
    ]
    return values


def _number(value) -> str:
    return "" if value is None else f"{value:g}"


def _text(value) -> str:
    return _number(value) if isinstance(value, int | float) else (value or "")


def values_from_form(form: MultiDict) -> dict:
    values = {k: form.get(k, "").strip() for k in ("name", "description", "phone", "website", "email")}
    for key in ADDRESS_FIELDS:
        values[f"address.{key}"] = form.get(f"address.{key}", "").strip()
    values.update(hours_form.values_from_form(form))
    for key in (
        "price_range.min",
        "price_range.max",
        "price_range.currency",
        "location.lat",
        "location.lon",
    ):
        values[key] = form.get(key, "").strip()
    values["treatments"] = form.getlist("treatments")
    values["prices"] = _rows(form, PRICE_ROW, PRICE_FIELDS, "treatment")
    rows: dict[int, dict] = {}
    for key, value in form.items():
        match = CERT_ROW.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value.strip()
    values["certifications"] = [
        {k: row.get(k, "") for k in (*CERT_FIELDS, "remove")}
        for _, row in sorted(rows.items())
        if row.get("code") and not row.get("remove")
    ]
    return values


def _rows(form: MultiDict, pattern: re.Pattern, names: tuple[str, ...], key: str) -> list[dict]:
    """Numbered rows of the form ("prices-0-min"), in order, without those left empty or removed."""
    rows: dict[int, dict] = {}
    for name, value in form.items():
        match = pattern.match(name)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value.strip()
    return [
        {k: row.get(k, "") for k in (*names, "remove")}
        for _, row in sorted(rows.items())
        if row.get(key) and not row.get("remove")
    ]


def _prices(values: dict) -> list[dict]:
    """Price rows as the record states them; a price without its highest amount is one amount."""
    out = []
    for row in values["prices"]:
        price = {k: row[k] or None for k in PRICE_FIELDS}
        price["max"] = price["max"] or price["min"]
        price["currency"] = "USD"
        if price["unit"] != "package" and not price["sessions"]:
            price.pop("sessions")
        out.append({k: v for k, v in price.items() if v is not None or k in ("min", "max")})
    return out


def build_record(values: dict, current: dict) -> ListingForm:
    """Validate the form against ClinicRecord; id and verification stay as stored.

    A credential identical to a stored one keeps its verification; any other is a new,
    unverified claim for the administrators' queue.
    """
    hours_errors = hours_form.problems(values)
    stored_certs = {_cert_key(c): c for c in current.get("certifications", [])}
    certs, claims = [], []
    for row in values["certifications"]:
        raw = {k: row[k] or None for k in CERT_FIELDS}
        stored = stored_certs.get(_cert_key(raw))
        if stored:
            certs.append(stored)
        else:
            certs.append({**raw, "verified": False})
            claims.append(raw)
    raw = {
        "id": current["id"],
        "name": values["name"],
        "description": values["description"],
        "address": {k: values[f"address.{k}"] or None for k in ADDRESS_FIELDS},
        "phone": values["phone"] or None,
        "website": values["website"] or None,
        "email": values["email"] or None,
        "hours": hours_form.record_hours(values, leave_out=[k.split(".")[1] for k in hours_errors]),
        "treatments": values["treatments"],
        "price_range": _price(values),
        "prices": _prices(values),
        "certifications": certs,
        "location": current.get("location"),
    }
    raw["address"]["city"] = raw["address"]["city"] or ""
    raw["address"]["state"] = raw["address"]["state"] or ""
    form = ListingForm(values=values, new_claims=claims)
    errors = dict(hours_errors)
    try:
        record = SCHEMA.load({k: v for k, v in raw.items() if v is not None or k == "location"})
    except ValidationError as err:
        for path, reason in flatten_errors(err.messages):
            errors.setdefault(_field_name(path), reason)  # the first problem of each field
    else:
        form.record = None if errors else record
    form.errors = dict(sorted(errors.items(), key=lambda item: _page_order(item[0])))
    return form


# The form's sections top to bottom, so the error summary lists problems in the order of the page.
PAGE_ORDER = (
    *("name", "description", "address", "phone", "website", "email"),
    *("hours", "treatments", "price_range", "prices", "certifications"),
)


def _page_order(key: str) -> int:
    head = re.split(r"[.-]", key, maxsplit=1)[0]
    return PAGE_ORDER.index(head) if head in PAGE_ORDER else len(PAGE_ORDER)


def _price(values: dict) -> dict | None:
    low, high = values["price_range.min"], values["price_range.max"]
    if not low and not high:
        return None
    return {"min": low or None, "max": high or None, "currency": values["price_range.currency"] or "USD"}


def _cert_key(cert: dict) -> tuple:
    expires = cert.get("expires")
    return (
        cert.get("code"),
        cert.get("number") or None,
        cert.get("issuer") or None,
        str(expires) if expires else None,
    )


def _field_name(path: str) -> str:
    """'certifications.1.expires' -> 'certifications-1-expires'; 'hours.mon.0' -> 'hours.mon' (the
    day's group of pickers); other paths are field names."""
    match = re.match(r"^(certifications|prices)\.(\d+)\.(\w+)$", path)
    if match:
        return f"{match.group(1)}-{match.group(2)}-{match.group(3)}"
    return re.sub(r"^(hours\.[a-z]{3})\.\d+$", r"\1", path)


def address_changed(record: dict, current: dict) -> bool:
    return any(record["address"].get(k) != current["address"].get(k) for k in ADDRESS_FIELDS)
