"""What search needs that a record does not state directly: rating aggregates, validity, hours."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from registry.schema import DAYS

# Bayesian average: every clinic starts with PRIOR_WEIGHT imaginary reviews of PRIOR_MEAN
# stars, so a single 5-star review (score ~3.9) cannot outrank two hundred reviews
# averaging 4.8 (score ~4.78). The prior is a little below the typical mean on purpose.
PRIOR_MEAN = 3.8
PRIOR_WEIGHT = 10


def rating_summary(reviews: list[dict]) -> dict:
    """Count, exact mean, Bayesian-weighted score and per-star counts of a clinic's reviews."""
    stars = [int(r["rating"]) for r in reviews]
    count, total = len(stars), sum(stars)
    return {
        "count": count,
        # Unrounded, so min_rating compares against the exact mean.
        "average": total / count if count else None,
        "weighted": round((PRIOR_MEAN * PRIOR_WEIGHT + total) / (PRIOR_WEIGHT + count), 4),
        "histogram": {str(s): stars.count(s) for s in range(1, 6)},
    }


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
