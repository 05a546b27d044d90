"""The clinic record: one marshmallow schema for feeds, the store, the API and the clinic form."""

from __future__ import annotations

import re
from datetime import UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from registry import vocabulary

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPAN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ID = validate.Regexp(ID_PATTERN, error="Use 1-64 letters, digits, '.', '_' or '-'.")


def is_valid_id(value: str) -> bool:
    """Could this be a record id? (Checked before ids from URLs reach the store.)"""
    return bool(ID_PATTERN.match(value))


class Address(Schema):
    street = fields.String(load_default=None, validate=validate.Length(max=200))
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    state = fields.String(required=True, validate=validate.Length(min=2, max=50))
    postal_code = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9A-Za-z -]{3,10}$"))
    country = fields.String(load_default="US", validate=validate.Length(equal=2))


class Location(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))


class Hours(Schema):
    """Weekly opening hours: {"timezone": "America/New_York", "mon": ["09:00-17:00"], ...}.

    A day that is absent or empty is closed; a day may have several spans (lunch breaks).
    """

    timezone = fields.String(required=True)
    mon, tue, wed, thu, fri, sat, sun = (
        fields.List(
            fields.String(validate=validate.Regexp(SPAN, error="Use HH:MM-HH:MM.")), load_default=list
        )
        for _ in DAYS
    )

    @validates("timezone")
    def known_zone(self, value: str, **_) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValidationError(f"Unknown IANA time zone {value!r}.") from err

    @validates_schema
    def spans_in_order(self, data: dict, **_) -> None:
        for day in DAYS:
            for span in data.get(day, []):
                start, end = span.split("-")
                if end <= start:
                    raise ValidationError(f"{span!r} closes before it opens.", day)


class PriceRange(Schema):
    min = fields.Float(required=True, allow_nan=False, validate=validate.Range(0, 100_000))
    max = fields.Float(required=True, allow_nan=False, validate=validate.Range(0, 100_000))
    currency = fields.String(load_default="USD", validate=validate.Regexp(r"^[A-Z]{3}$"))

    @validates_schema
    def ordered(self, data: dict, **_) -> None:
        if "min" in data and "max" in data and data["max"] < data["min"]:
            raise ValidationError("max is below min.", "max")


class Certification(Schema):
    code = fields.String(required=True, validate=ID)
    name = fields.String(load_default=None, validate=validate.Length(max=200))
    issuer = fields.String(load_default=None, validate=validate.Length(max=200))
    number = fields.String(load_default=None, validate=validate.Length(max=100))
    verified = fields.Boolean(load_default=False)
    verified_at = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    expires = fields.Date(load_default=None)

    @validates("code")
    def known_code(self, value: str, **_) -> None:
        if value not in vocabulary.certifications():
            raise ValidationError(f"Unknown certification code {value!r}.")


class Review(Schema):
    id = fields.String(required=True, validate=ID)
    rating = fields.Integer(required=True, strict=False, validate=validate.Range(1, 5))
    title = fields.String(load_default=None, validate=validate.Length(max=200))
    text = fields.String(load_default="", validate=validate.Length(max=10000))
    author = fields.String(load_default=None, validate=validate.Length(max=100))
    date = fields.Date(required=True)
    verified = fields.Boolean(load_default=False)


class ClinicRecord(Schema):
    """A clinic as feeds send it; unknown fields are an error so typos do not vanish silently."""

    class Meta:
        unknown = RAISE
        ordered = True

    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    address = fields.Nested(Address, required=True)
    location = fields.Nested(Location, load_default=None, allow_none=True)
    phone = fields.String(load_default=None, validate=validate.Regexp(r"^\+?[0-9 ().-]{7,20}$"))
    website = fields.Url(load_default=None, schemes={"http", "https"})
    email = fields.Email(load_default=None)
    hours = fields.Nested(Hours, load_default=None, allow_none=True)
    treatments = fields.List(fields.String(), load_default=list)
    price_range = fields.Nested(PriceRange, load_default=None, allow_none=True)
    certifications = fields.List(fields.Nested(Certification), load_default=list)
    reviews = fields.List(fields.Nested(Review), load_default=list)
    updated_at = fields.AwareDateTime(load_default=None, default_timezone=UTC)

    @validates("treatments")
    def known_treatments(self, value: list[str], **_) -> None:
        unknown = sorted(set(value) - set(vocabulary.treatments()))
        if unknown:
            raise ValidationError(f"Unknown treatment code(s): {', '.join(unknown)}.")

    @validates("reviews")
    def unique_review_ids(self, value: list[dict], **_) -> None:
        ids = [r["id"] for r in value]
        if len(ids) != len(set(ids)):
            raise ValidationError("Review ids must be unique within a clinic.")


def dump_loaded(record: dict) -> dict:
    """`ClinicRecord().dump(record)` for a record `load` just returned, in place and ~20x cheaper.

    `load` already yields JSON types in the declared order, except for dates and times; those
    become ISO strings, as `dump` writes them. tests/indexer/test_schema.py holds the two equal.
    """
    if record["updated_at"] is not None:
        record["updated_at"] = record["updated_at"].isoformat()
    for cert in record["certifications"]:
        if cert["verified_at"] is not None:
            cert["verified_at"] = cert["verified_at"].isoformat()
        if cert["expires"] is not None:
            cert["expires"] = cert["expires"].isoformat()
    for review in record["reviews"]:
        review["date"] = review["date"].isoformat()
    return record


def flatten_errors(
    messages: dict | list | str, prefix: str = "", whole: str = "_record"
) -> list[tuple[str, str]]:
    """Turn marshmallow's nested error dict into (field path, reason) pairs.

    ``{"address": {"city": ["Missing data"]}}`` becomes ``[("address.city", "Missing data")]``;
    an error about the whole input is named `whole`.
    """
    if isinstance(messages, list):
        return [pair for m in messages for pair in flatten_errors(m, prefix, whole)]
    if not isinstance(messages, dict):
        return [(prefix or whole, str(messages))]
    out = []
    for key, value in messages.items():
        path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
        out += flatten_errors(value, path, whole)
    return out


__all__ = ["ClinicRecord", "ValidationError", "dump_loaded", "flatten_errors", "EXCLUDE", "DAYS"]
