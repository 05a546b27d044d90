"""What search needs that a record does not state directly: rating aggregates, validity, hours, slugs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from registry.schema import DAYS

# Bayesian average: every clinic starts with PRIOR_WEIGHT imaginary reviews of PRIOR_MEAN
# stars, so a single 5-star review (score ~3.9) cannot outrank two hundred reviews
# averaging 4.8 (score ~4.78). The prior is a little below the typical mean on purpose.
PRIOR_MEAN = 3.8
PRIOR_WEIGHT = 10


class Ratings(NamedTuple):
    """How many published reviews gave one to five stars, and how many of those were verified
    visits: a clinic's review aggregates, kept in the store (table review_stats) so that indexing
    a listing never reads its reviews."""

    one: int = 0
    two: int = 0
    three: int = 0
    four: int = 0
    five: int = 0
    verified_one: int = 0
    verified_two: int = 0
    verified_three: int = 0
    verified_four: int = 0
    verified_five: int = 0

    @classmethod
    def of(cls, reviews: Iterable[dict]) -> Ratings:
        """Feed reviews' aggregates (a feed review is never a verified visit)."""
        stars = [0] * 5
        for review in reviews:
            stars[int(review["rating"]) - 1] += 1
        return cls(*stars)

    @property
    def stars(self) -> tuple[int, ...]:
        return self[:5]

    @property
    def count(self) -> int:
        return sum(self.stars)

    @property
    def total(self) -> int:
        """The sum of all ratings."""
        return sum(stars * n for stars, n in enumerate(self.stars, 1))

    @property
    def verified(self) -> Ratings:
        """The verified visits' aggregates alone."""
        return Ratings(*self[5:], *self[5:])


def rating_summary(ratings: Ratings) -> dict:
    """Count, exact mean, Bayesian-weighted score and per-star counts of a clinic's reviews, and the
    number and share of them that are verified visits."""
    count, total = ratings.count, ratings.total
    verified = ratings.verified.count
    return {
        "count": count,
        # Unrounded, so min_rating compares against the exact mean.
        "average": total / count if count else None,
        "weighted": round((PRIOR_MEAN * PRIOR_WEIGHT + total) / (PRIOR_WEIGHT + count), 4),
        "histogram": {str(stars): n for stars, n in enumerate(ratings.stars, 1)},
        "verified_count": verified,
        "verified_share": round(verified / count, 4) if count else None,
    }


# What a result card shows of a listing, taken the same way for the search document
# (indexer.mapping) and for a listing read from the store (the profile, the API's detail).
ADDRESS_FIELDS = ("street", "city", "state", "postal_code", "country")
CONTACT_FIELDS = ("phone", "website", "email")
CERTIFICATION_FIELDS = ("code", "name", "issuer", "verified", "expires")


def address(record: dict) -> dict:
    return {k: record["address"].get(k) for k in ADDRESS_FIELDS}


def contact(record: dict) -> dict:
    return {k: record.get(k) for k in CONTACT_FIELDS}


def certifications(record: dict) -> list[dict]:
    return [{k: c.get(k) for k in CERTIFICATION_FIELDS} for c in record.get("certifications", [])]


def is_valid_certification(cert: dict, today: date) -> bool:
    """Verified and not expired on `today` (a certification expiring today still counts)."""
    expires = cert.get("expires")
    if isinstance(expires, str):
        expires = date.fromisoformat(expires)
    return bool(cert.get("verified")) and (expires is None or expires >= today)


def week_minutes(hours: dict | None) -> list[dict]:
    """Opening spans as minute-of-week ranges in the clinic's local time (Monday 00:00 = 0).

    Indexed as an integer_range, so "open now" is one range query per time zone.
    """
    if not hours:
        return []
    spans = []
    for base, day in zip(range(0, 7 * 1440, 1440), DAYS, strict=True):
        for span in hours.get(day) or ():
            start, end = _span_minutes(span)
            spans.append({"gte": base + start, "lt": base + end})
    return spans


@lru_cache(maxsize=4096)
def _span_minutes(span: str) -> tuple[int, int]:
    # A few dozen distinct spans fill every feed; parsing each once halves the document build.
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in span.split("-"))
    return start, end


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """ASCII, lowercase, hyphen-separated: 'Clínica Café, Miami' -> 'clinica-cafe-miami'."""
    if not text.isascii():  # NFKD leaves ASCII text as it is
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def profile_slug(record: dict) -> str:
    """A readable, unique URL slug: name and city, then '--' and the stable id."""
    return f"{slugify(record['name'] + ' ' + record['address']['city'])}--{record['id']}"


def id_from_slug(slug: str) -> str:
    return slug.rsplit("--", 1)[-1]


# --- prices ------------------------------------------------------------------------------------
# A clinic's price for a treatment, per session, in this order of preference:
#   1. its own price per session for that treatment (`prices`, unit "session");
#   2. its own package price, divided by the package's sessions;
#   3. the clinic's general `price_range`, which applies to every treatment it lists that has no
#      price of its own.
# The typical price is the midpoint of that per-session range: what cost guides count.


def session_prices(record: dict) -> dict[str, dict]:
    """{treatment code: {min, max, typical, currency, basis, sessions}} per session, for every
    listed treatment that has a price (basis: "session", "package" or "general")."""
    general = record.get("price_range")
    own: dict[str, dict] = {}
    for price in record.get("prices") or ():
        code, unit = price["treatment"], price.get("unit", "session")
        if unit == "session" or code not in own:
            if unit == "session":
                own[code] = _per_session(price["min"], price["max"], price, "session", 1)
            elif price.get("sessions"):
                sessions = price["sessions"]
                own[code] = _per_session(price["min"], price["max"], price, "package", sessions)
    out = {}
    for code in record.get("treatments") or ():
        if code in own:
            out[code] = own[code]
        elif general:
            out[code] = _per_session(general["min"], general["max"], general, "general", 1)
    return out


def _per_session(low: float, high: float, price: dict, basis: str, sessions: int) -> dict:
    low, high = round(low / sessions, 2), round(high / sessions, 2)
    return {
        "min": low,
        "max": high,
        "typical": round((low + high) / 2, 2),
        "currency": price.get("currency") or "USD",
        "basis": basis,
        "sessions": sessions,
    }


def overall_price(prices: dict[str, dict], general: dict | None) -> dict | None:
    """The clinic's price per session across its treatments (the card's "From $X"), or None."""
    if not prices:
        return general
    return {
        "min": min(p["min"] for p in prices.values()),
        "max": max(p["max"] for p in prices.values()),
        "currency": next(iter(prices.values()))["currency"],
    }
