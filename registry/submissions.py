"""What consumers and clinics submit besides listings: consultation requests, reviews, clinics'
responses and flags. One marshmallow schema each, built from the shared schema's fields, so the
one text-sanitation rule applies and every message comes from the one catalogue
(`registry.messages`, labels from FORM_LABELS). `load(schema, data)` turns a refusal into
{field: message} for the form that shows it next to its field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from marshmallow import RAISE, ValidationError, fields, validate, validates, validates_schema

from registry import vocabulary
from registry.messages import FORM_LABELS, MESSAGES
from registry.policy import FLAG_REASONS
from registry.schema import DAYS, PHONE, Items, Plain, RecordSchema, Text, YesNo, flatten_errors

M = MESSAGES
TIMES = {"morning": "Morning", "afternoon": "Afternoon", "evening": "Evening"}
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class Stars(Plain, fields.Integer):
    """A rating of 1 to 5 stars; every way of getting it wrong gets the same plain message."""

    default_error_messages = {k: M["stars"] for k in ("required", "null", "invalid", "too_large")}

    def __init__(self, **kwargs):
        super().__init__(strict=False, validate=validate.Range(1, 5, error=M["stars"]), **kwargs)


def _email(**kwargs) -> Text:
    return Text(254, validate=validate.Email(error=M["email"]), **kwargs)


def _known_treatment(value: str | None) -> None:
    if value and value not in vocabulary.treatments():
        raise ValidationError(M["choose"])


class Submission(RecordSchema):
    class Meta:
        unknown = RAISE


class ConsultationRequestForm(Submission):
    """A consumer's request for a consultation."""

    name = Text(100, required=True)
    email = _email(load_default=None)
    phone = Text(20, pattern=PHONE, pattern_message="phone", load_default=None)
    treatment = Text(64, load_default=None)
    days = Items(Text(3, validate=validate.OneOf(DAYS, error=M["choose"])), len(DAYS), load_default=list)
    times = Items(
        Text(10, validate=validate.OneOf(list(TIMES), error=M["choose"])), len(TIMES), load_default=list
    )
    message = Text(2000, multiline=True, load_default="")
    consent = YesNo(required=True, error_messages={"required": M["consent"]})

    @validates("treatment")
    def treatment_known(self, value, **_) -> None:
        _known_treatment(value)

    @validates("consent")
    def agreed(self, value: bool, **_) -> None:
        if not value:
            raise ValidationError(M["consent"])

    @validates_schema(skip_on_field_errors=False)
    def reachable(self, data: dict, **_) -> None:
        if not data.get("email") and not data.get("phone"):
            raise ValidationError(M["contact_needed"], "email")


class ReviewForm(Submission):
    """A review as its author writes or edits it (`email` only from the profile's form)."""

    rating = Stars(required=True)
    title = Text(120, load_default=None)
    text = Text(5000, multiline=True, required=True, validate=validate.Length(min=20, error=M["too_short"]))
    author = Text(60, load_default=None)
    treatment = Text(64, load_default=None)
    visit_month = Text(7, load_default=None)

    @validates("treatment")
    def treatment_known(self, value, **_) -> None:
        _known_treatment(value)

    @validates("visit_month")
    def past_month(self, value: str | None, **_) -> None:
        if not value:
            return
        found = MONTH.match(value)
        this_month = datetime.now(UTC).strftime("%Y-%m")
        if not found or not "2000-01" <= value <= this_month:
            raise ValidationError(M["month"])


class ConfirmedReviewForm(ReviewForm):
    email = _email(required=True)


class ResponseForm(Submission):
    response = Text(2000, multiline=True, required=True)


class FlagForm(Submission):
    reason = Text(32, required=True, validate=validate.OneOf(list(FLAG_REASONS), error=M["choose"]))
    note = Text(1000, multiline=True, required=True)


def load(schema: Submission, data: dict) -> tuple[dict | None, dict[str, str]]:
    """(valid data, {}) or (None, {field: message in plain words}); blank fields count as absent."""
    present = {k: v for k, v in data.items() if v not in ("", None, [])}
    try:
        return schema.load(present), {}
    except ValidationError as err:
        found: dict[str, str] = {}
        for path, reason in flatten_errors(err.messages, whole="_form", labels=FORM_LABELS):
            found.setdefault(path.split(".")[0], reason)
        return None, found
