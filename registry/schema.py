"""The clinic record: one marshmallow schema for feeds, the store, the API and the clinic form."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
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
from registry.messages import LABELS, MESSAGES, describe

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPAN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
PHONE = re.compile(r"^\+?[0-9 ().-]{7,20}$")
POSTAL_CODE = re.compile(r"^[0-9A-Za-z -]{3,10}$")
M = MESSAGES
# Per-record caps: far above any real clinic (the sample's largest has 220 reviews, 4 credentials),
# low enough that one record cannot flood the store, the index or the administrators' queue.
MAX_REVIEWS = 2000
MAX_CREDENTIALS = 20
MAX_TREATMENTS = 50
MAX_SPANS = 6  # opening spans a day


def is_valid_id(value: str) -> bool:
    """Could this be a record id? (Checked before ids from URLs reach the store.)"""
    return bool(ID_PATTERN.match(value))


# --- fields whose messages come from the catalogue (registry/messages.py) --------------------


class Plain:
    """Mixin: a missing or null value reads "Enter <label>." (see registry/messages.py)."""

    default_error_messages = {"required": M["required"], "null": M["required"]}


class Text(Plain, fields.String):
    """Any string a person or a feed writes, under the one text-sanitation rule:

    - Unicode NFC, so a letter typed as one code point or as letter + accent is one spelling;
    - no lone surrogates (half an emoji: such text cannot be stored as UTF-8, indexed or exported);
    - no control characters (NUL, escape codes...), except tab and newline in `multiline` text,
      where a Windows line end becomes a newline; in one-line text a tab or line break becomes a space;
    - trimmed; a required text must not be blank;
    - at most `max_length` characters and, when given, matching `pattern`, with the catalogue's
      message `pattern_message` when it does not.

    Rejecting (rather than silently stripping) keeps what is stored equal to what was sent; the
    message says which character to remove.
    """

    default_error_messages = {
        "invalid": M["not_text"],
        "invalid_utf8": M["not_text"],
        "blank": M["blank"],
        "control": M["control"],
        "surrogate": M["surrogate"],
        "too_long": M["too_long"],
    }

    def __init__(
        self,
        max_length: int,
        *,
        multiline: bool = False,
        pattern: re.Pattern | None = None,
        pattern_message: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.max_length, self.multiline, self.pattern = max_length, multiline, pattern
        if pattern is not None:
            self.error_messages["pattern"] = M[pattern_message or "not_text"]

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return self.clean(super()._deserialize(value, attr, data, **kwargs))

    def clean(self, text: str) -> str:
        if _SURROGATE.search(text):
            raise self.make_error("surrogate")
        text = unicodedata.normalize("NFC", text)
        if self.multiline:
            text = text.replace("\r\n", "\n")
            controls = _CONTROLS_BUT_TAB_AND_NEWLINE
        else:
            text = _LINE_BREAKS.sub(" ", text)
            controls = _CONTROLS
        if controls.search(text):
            raise self.make_error("control")
        text = text.strip()
        if not text and self.required:
            raise self.make_error("blank")
        if len(text) > self.max_length:
            raise self.make_error("too_long", max=self.max_length)
        if self.pattern is not None and text and not self.pattern.match(text):
            raise self.make_error("pattern")
        return text


_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\t\r\n]+")
# Unicode's control characters (category Cc) are exactly these 65 code points; a pattern finds
# one in C where a per-character loop cost the indexer about a third of its time per record.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_TAB_AND_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Number(Plain, fields.Float):
    """A finite number between `minimum` and `maximum`."""

    default_error_messages = {"invalid": M["number"], "special": M["number"], "too_large": M["number"]}

    def __init__(self, minimum: float, maximum: float, **kwargs):
        kwargs.setdefault("validate", validate.Range(minimum, maximum, error=M["range"]))
        super().__init__(allow_nan=False, **kwargs)


class WholeNumber(Plain, fields.Integer):
    default_error_messages = {"invalid": M["whole_number"], "too_large": M["whole_number"]}

    def __init__(self, minimum: int, maximum: int, **kwargs):
        super().__init__(validate=validate.Range(minimum, maximum, error=M["range"]), **kwargs)


class YesNo(Plain, fields.Boolean):
    default_error_messages = {"invalid": M["boolean"]}


# How far in the future a time that has already happened (a last change, a review, a verification)
# may lie: clocks and time zones differ by hours, not by days. A feed row dated 2099 would
# otherwise win over every later edit of its listing.
FUTURE_TOLERANCE = timedelta(days=1)


class Day(Plain, fields.Date):
    """A date; with `past=True` one that has happened (FUTURE_TOLERANCE aside)."""

    default_error_messages = {"invalid": M["date"], "format": M["date"], "future": M["future"]}

    def __init__(self, *, past: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.past = past

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if self.past and day > (datetime.now(UTC) + FUTURE_TOLERANCE).date():
            raise self.make_error("future", input=day.isoformat())
        return day


class Moment(Plain, fields.AwareDateTime):
    """A date and time that has happened (FUTURE_TOLERANCE aside); one without a time zone is UTC."""

    default_error_messages = {
        "invalid": M["datetime"],
        "invalid_awareness": M["datetime"],
        "format": M["datetime"],
        "future": M["future"],
    }

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise self.make_error("future", input=moment.isoformat())
        return moment


class Group(Plain, fields.Nested):
    default_error_messages = {"type": M["object"]}


class Items(Plain, fields.List):
    """A list of at most `max_items` items (so one record cannot make unbounded work)."""

    default_error_messages = {"invalid": M["list"], "too_many": M["too_many"]}

    def __init__(self, inner, max_items: int, **kwargs):
        super().__init__(inner, **kwargs)
        self.max_items = max_items

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list | tuple) and len(value) > self.max_items:
            raise self.make_error("too_many", max=self.max_items)
        return super()._deserialize(value, attr, data, **kwargs)


class RecordSchema(Schema):
    """Base of the record's schemas: unknown fields and wrong types in plain words."""

    error_messages = {"unknown": M["unknown_field"], "type": M["record_type"]}


def record_id(**kwargs) -> Text:
    return Text(64, pattern=ID_PATTERN, pattern_message="record_id", **kwargs)


# --- the clinic record ------------------------------------------------------------------------


class Address(RecordSchema):
    street = Text(200, load_default=None)
    city = Text(100, required=True)
    state = Text(50, required=True)
    postal_code = Text(10, pattern=POSTAL_CODE, pattern_message="postal_code", load_default=None)
    country = Text(2, pattern=re.compile(r"^[A-Za-z]{2}$"), pattern_message="country", load_default="US")


class Location(RecordSchema):
    lat = Number(-90, 90, required=True)
    lon = Number(-180, 180, required=True)


class Hours(RecordSchema):
    """Weekly opening hours: {"timezone": "America/New_York", "mon": ["09:00-17:00"], ...}.

    A day that is absent or empty is closed; a day may have several spans (lunch breaks).
    """

    timezone = Text(64, required=True)
    mon, tue, wed, thu, fri, sat, sun = (
        Items(Text(11, pattern=SPAN, pattern_message="span"), MAX_SPANS, load_default=list) for _ in DAYS
    )

    @validates("timezone")
    def known_zone(self, value: str, **_) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValidationError(M["timezone"].format(input=repr(value))) from err

    @validates_schema
    def spans_in_order(self, data: dict, **_) -> None:
        for day in DAYS:
            for span in data.get(day, []):
                start, end = span.split("-")
                if end <= start:
                    raise ValidationError(M["span_order"].format(span=span), day)


class PriceRange(RecordSchema):
    min = Number(0, 100_000, required=True)
    max = Number(0, 100_000, required=True)
    currency = Text(3, pattern=re.compile(r"^[A-Z]{3}$"), pattern_message="currency", load_default="USD")

    @validates_schema
    def ordered(self, data: dict, **_) -> None:
        if "min" in data and "max" in data and data["max"] < data["min"]:
            raise ValidationError(M["max_below_min"], "max")


UNITS = ("session", "package")
MAX_PRICES = 60  # a price per unit for each of the vocabulary's treatments, with room to spare
MAX_PACKAGE_SESSIONS = 24


class TreatmentPrice(RecordSchema):
    """One treatment's price: per session, or for a package of `sessions` sessions.

    A price's treatment must be one the clinic lists (checked by ClinicRecord).
    """

    treatment = Text(64, required=True)
    min = Number(0, 100_000, required=True)
    max = Number(0, 100_000, required=True)
    currency = Text(3, pattern=re.compile(r"^[A-Z]{3}$"), pattern_message="currency", load_default="USD")
    unit = Text(16, load_default="session", validate=validate.OneOf(UNITS, error=M["price_unit"]))
    sessions = WholeNumber(1, MAX_PACKAGE_SESSIONS, load_default=None, allow_none=True, strict=False)
    note = Text(200, load_default=None)

    @validates_schema
    def consistent(self, data: dict, **_) -> None:
        if "min" in data and "max" in data and data["max"] < data["min"]:
            raise ValidationError(M["max_below_min"], "max")
        if data.get("unit") == "package" and not data.get("sessions"):
            raise ValidationError(M["package_sessions"], "sessions")
        if data.get("unit") == "session" and data.get("sessions") not in (None, 1):
            raise ValidationError(M["session_sessions"], "sessions")


class Certification(RecordSchema):
    code = record_id(required=True)
    name = Text(200, load_default=None)
    issuer = Text(200, load_default=None)
    number = Text(100, load_default=None)
    verified = YesNo(load_default=False)
    verified_at = Moment(load_default=None)
    expires = Day(load_default=None)

    @validates("code")
    def known_code(self, value: str, **_) -> None:
        if value not in vocabulary.certifications():
            raise ValidationError(M["unknown_credential"].format(input=repr(value)))


class Review(RecordSchema):
    id = record_id(required=True)
    rating = WholeNumber(1, 5, required=True, strict=False)
    title = Text(200, load_default=None)
    text = Text(10000, multiline=True, load_default="")
    author = Text(100, load_default=None)
    date = Day(required=True, past=True)
    verified = YesNo(load_default=False)
    # The site the review was first published on ("From RealSelf" on the profile); optional.
    source = Text(100)


class ClinicRecord(RecordSchema):
    """A clinic as feeds send it; unknown fields are an error so typos do not vanish silently."""

    class Meta:
        unknown = RAISE
        ordered = True

    id = record_id(required=True)
    name = Text(200, required=True)
    description = Text(5000, multiline=True, load_default="")
    address = Group(Address, required=True)
    location = Group(Location, load_default=None, allow_none=True)
    phone = Text(20, pattern=PHONE, pattern_message="phone", load_default=None)
    website = Text(2000, validate=validate.URL(schemes={"http", "https"}, error=M["url"]), load_default=None)
    email = Text(254, validate=validate.Email(error=M["email"]), load_default=None)
    hours = Group(Hours, load_default=None, allow_none=True)
    treatments = Items(Text(64), MAX_TREATMENTS, load_default=list)
    price_range = Group(PriceRange, load_default=None, allow_none=True)
    prices = Items(Group(TreatmentPrice), MAX_PRICES, load_default=list)
    certifications = Items(Group(Certification), MAX_CREDENTIALS, load_default=list)
    reviews = Items(Group(Review), MAX_REVIEWS, load_default=list)
    updated_at = Moment(load_default=None)

    @validates("treatments")
    def known_treatments(self, value: list[str], **_) -> None:
        unknown = sorted(set(value) - set(vocabulary.treatments()))
        if unknown:
            raise ValidationError(M["unknown_treatment"].format(codes=", ".join(map(repr, unknown))))

    @validates_schema
    def prices_match_treatments(self, data: dict, **_) -> None:
        """Each price is for a listed treatment, once per unit, and all prices share one currency."""
        offered = set(data.get("treatments") or ())
        seen = set()
        for i, price in enumerate(data.get("prices") or ()):
            if price["treatment"] not in offered:
                name = vocabulary.treatments().get(price["treatment"], price["treatment"])
                raise ValidationError(M["price_not_offered"].format(treatment=name), f"prices.{i}.treatment")
            key = (price["treatment"], price["unit"], price.get("sessions"))
            if key in seen:
                raise ValidationError(M["price_repeated"], f"prices.{i}.treatment")
            seen.add(key)
        currencies = {p["currency"] for p in data.get("prices") or ()}
        if data.get("price_range"):
            currencies.add(data["price_range"]["currency"])
        if len(currencies) > 1:
            raise ValidationError(M["one_currency"], "prices")

    @validates("reviews")
    def unique_review_ids(self, value: list[dict], **_) -> None:
        ids = [r["id"] for r in value if "id" in r]  # an item whose id failed has none
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValidationError(M["duplicate_review"].format(ids=", ".join(map(repr, repeated))))


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
    messages: dict | list | str, prefix: str = "", whole: str = "_record", labels: dict = LABELS
) -> list[tuple[str, str]]:
    """Turn marshmallow's nested error dict into (field path, reason) pairs, reasons in plain words.

    ``{"address": {"city": ["Enter $label."]}}`` becomes ``[("address.city", "Enter the city.")]``
    (labels from the message catalogue); an error about the whole input is named `whole`.
    """
    if isinstance(messages, list):
        return [pair for m in messages for pair in flatten_errors(m, prefix, whole, labels)]
    if not isinstance(messages, dict):
        return [(prefix or whole, describe(prefix or whole, str(messages), labels))]
    out = []
    for key, value in messages.items():
        path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
        out += flatten_errors(value, path, whole, labels)
    return out


__all__ = ["ClinicRecord", "ValidationError", "dump_loaded", "flatten_errors", "EXCLUDE", "DAYS"]
