"""The one message catalogue: what a person reads when a record, a form field or a parameter is wrong.

Feeds, the API and the clinic forms validate with the same marshmallow fields (registry/schema.py),
and every message those fields raise comes from MESSAGES. A message says what is wrong and what
to do, in plain words, and names the thing by its label ("the clinic name", "Sunday's hours"),
never by a field path or a pattern. The label depends on where the field sits in the record, which
a marshmallow field does not know, so a message is stored with `$label` (or `$Label` at the start of
a sentence) and `describe(path, message)` fills it in once the path is known. `flatten_errors` in
the schema does that for feeds and forms; the API does it for its parameters and keeps the
parameter's name beside the message.

`{...}` placeholders are marshmallow's own (`{max}`, `{input}`): filled when the error is raised.
"""

from __future__ import annotations

import re
from string import Template

DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}

MESSAGES = {
    "required": "Enter $label.",
    "blank": "Enter $label; it cannot be left blank or be only spaces.",
    "not_text": "Enter $label as text.",
    "control": "$Label contains an invisible control character (such as NUL or an escape code); remove it.",
    "surrogate": "$Label contains a broken character (half of an emoji or symbol); type it again.",
    "too_long": "$Label must be {max} characters or fewer.",
    "number": "Enter $label as a number, like 150.",
    "whole_number": "Enter $label as a whole number, like 4.",
    "range": "$Label must be between {min:,} and {max:,}.",
    "boolean": "$Label must be yes or no (true or false).",
    "date": "Enter $label as a date like 2026-05-05.",
    "datetime": "Enter $label as a date and time with its time zone, like 2026-05-05T14:30:00Z.",
    "future": "$Label ({input}) lies in the future; it must be a time that has already happened.",
    "too_many": "Send at most {max:,} of $label.",
    "email": "Enter $label like name@example.com.",
    "url": "Enter $label as a web address starting with https://, like https://example.com.",
    "phone": "Enter $label with 7 to 20 digits, like (704) 555-0123.",
    "postal_code": "Enter $label like 28202 or 28202-1234.",
    "record_id": "$Label must be 1 to 64 letters, digits, dots, dashes or underscores, "
    "starting with a letter or digit.",
    "country": "Enter $label as a two-letter code, like US.",
    "currency": "Enter $label as a three-letter code, like USD.",
    "span": "Enter $label like 09:00-17:00 (24-hour clock, opening then closing time).",
    "span_order": "$Label: {span} closes before it opens. Put the opening time first.",
    # The listing form's time pickers (directory/clinic/hours_form.py) say the same in their terms.
    "hours_incomplete": "$Label: enter both an opening and a closing time, or tick Closed.",
    "hours_order": "$Label: the closing time must be later than the opening time.",
    "timezone": "Choose $label from the list, like America/New_York ({input} is not a time zone we know).",
    "max_below_min": "The highest price must be the same as or more than the lowest price.",
    "price_unit": "Choose $label: per session or for a package of sessions.",
    "package_sessions": "Enter how many sessions the package includes (2 or more).",
    "session_sessions": "A price per session is for one session; choose “package” for several.",
    "price_not_offered": "Tick {treatment} under Treatments, or remove its price.",
    "price_repeated": "This treatment already has a price of this kind; keep one.",
    "one_currency": "Give every price in the same currency.",
    "unknown_treatment": "We do not list {codes} as a treatment. Choose treatments from the list.",
    "unknown_credential": "We do not list {input} as a credential. Choose one from the list.",
    "duplicate_review": "Each review needs its own id; {ids} appears more than once.",
    "object": "Send $label as an object with named fields.",
    "list": "Send $label as a list.",
    "unknown_field": "This is not part of the record; check its spelling (field names are lowercase, like "
    "address.city).",
    "record_type": "Send the record as a JSON object.",
    # consultation requests, reviews, responses (registry/submissions.py)
    "too_short": "$Label must be at least {min} characters.",
    "stars": "Choose $label: from 1 star (poor) to 5 stars (excellent).",
    "choose": "Choose $label from the list.",
    "month": "Enter $label as a year and month like 2026-05, no later than this month.",
    "contact_needed": "Give an email address or a phone number, so the clinic can reach you.",
    "consent": "Tick the box to agree that the clinic may contact you about this request.",
    "photo_consent": "Tick the box to confirm that the photos show you and may be published.",
}

# Labels of the clinic record's fields, by path; list items use "*" ("certifications.*.code").
LABELS = {
    "id": "the listing id",
    "name": "the clinic name",
    "description": "the description",
    "address": "the address",
    "address.street": "the street address",
    "address.city": "the city",
    "address.state": "the state",
    "address.postal_code": "the ZIP code",
    "address.country": "the country",
    "location": "the map location",
    "location.lat": "the map location's latitude",
    "location.lon": "the map location's longitude",
    "phone": "the phone number",
    "website": "the website",
    "email": "the email address",
    "hours": "the opening hours",
    "hours.timezone": "the time zone",
    "treatments": "the treatments",
    "price_range": "the price range",
    "price_range.min": "the lowest price",
    "price_range.max": "the highest price",
    "price_range.currency": "the currency",
    "prices": "the prices",
    "prices.*.treatment": "the treatment",
    "prices.*.min": "the lowest price",
    "prices.*.max": "the highest price",
    "prices.*.currency": "the currency",
    "prices.*.unit": "what the price is for",
    "prices.*.sessions": "the number of sessions",
    "prices.*.note": "the note",
    "certifications": "the credentials",
    "certifications.*.code": "the credential",
    "certifications.*.name": "the credential's name",
    "certifications.*.issuer": "the issuing body",
    "certifications.*.number": "the licence number",
    "certifications.*.verified": "whether it is verified",
    "certifications.*.verified_at": "the verification time",
    "certifications.*.expires": "the expiry date",
    "reviews": "the reviews",
    "reviews.*.id": "the review id",
    "reviews.*.rating": "the rating",
    "reviews.*.title": "the review title",
    "reviews.*.text": "the review text",
    "reviews.*.author": "the reviewer's name",
    "reviews.*.date": "the review date",
    "reviews.*.verified": "whether the review is verified",
    "reviews.*.source": "the site the review comes from",
    "updated_at": "the time of the last change",
}
# Labels of the fields of the consumers' and clinics' forms (registry/submissions.py).
FORM_LABELS = {
    "name": "your name",
    "email": "your email address",
    "phone": "your phone number",
    "treatment": "the treatment",
    "days": "the days",
    "times": "the times of day",
    "message": "your message",
    "consent": "your agreement to be contacted",
    "rating": "your rating",
    "title": "the title",
    "text": "your review",
    "author": "the name to show",
    "visit_month": "the month of your visit",
    "response": "your response",
    "reason": "the reason",
    "note": "what is wrong",
}

# What the n-th item of a list is called, so "certifications.2.expires" reads "... of credential 3".
ITEM_NAMES = {"certifications": "credential", "reviews": "review", "prices": "price"}

_INDEX = re.compile(r"\.(\d+)(?=\.|$)")


def label(path: str, labels: dict[str, str] = LABELS) -> str:
    """The words for the field at `path`: 'hours.sun.0' -> "Sunday's hours",
    'certifications.2.expires' -> 'the expiry date of credential 3', 'radius' -> 'the radius'."""
    parts = path.split(".")
    if parts[0] == "hours" and len(parts) > 1 and parts[1] in DAY_NAMES:
        return f"{DAY_NAMES[parts[1]]}'s hours"
    generic = _INDEX.sub(".*", path)
    text = labels.get(generic) or labels.get(generic.removesuffix(".*"))
    if text is None:
        words = next((p for p in reversed(parts) if not p.isdigit() and p != "*"), path)
        text = "the " + words.replace("_", " ")
    index = _INDEX.search(path)
    if index and parts[0] in ITEM_NAMES and generic != f"{parts[0]}.*":
        text += f" of {ITEM_NAMES[parts[0]]} {int(index.group(1)) + 1}"
    elif index and parts[0] in ITEM_NAMES:
        text = f"{ITEM_NAMES[parts[0]]} {int(index.group(1)) + 1}"
    return text


def describe(path: str, message: str, labels: dict[str, str] = LABELS) -> str:
    """A catalogue message with its field's label filled in; other messages are returned as they are."""
    if "$" not in message:
        return message
    words = label(path, labels)
    return Template(message).safe_substitute(label=words, Label=words[:1].upper() + words[1:])
