"""A provider's full public listing, read from the store: shared by the API and the profile page."""

from __future__ import annotations

import math
from datetime import date

from marshmallow import Schema, fields, validate
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from directory.search.core import listing_summary
from registry import listings, reviews
from registry.schema import is_valid_id


class ReviewArgs(Schema):
    """Review paging for the API and the profile page."""

    review_sort = fields.String(load_default="newest", validate=validate.OneOf(reviews.SORTS))
    review_page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    review_limit = fields.Integer(load_default=10, validate=validate.Range(1, 50))


def provider_detail(
    engine: Engine,
    provider_id: str,
    review_sort: str = "newest",
    review_page: int = 1,
    review_limit: int = 10,
) -> dict | None:
    """Summary fields (as in search results), description, and one page of reviews; None if unknown."""
    if not is_valid_id(provider_id):
        return None
    with Session(engine) as session:
        listing = listings.get(session, provider_id)
        if listing is None:
            return None
        items = reviews.page(session, provider_id, review_sort, review_page, review_limit)
    total = listing.ratings.count
    detail = listing_summary(listing.record, listing.ratings, date.today())
    detail["description"] = listing.record.get("description", "")
    for shown, stored in zip(detail["certifications"], listing.record.get("certifications", []), strict=True):
        shown["verified_at"] = stored.get("verified_at")  # "Verified on May 5, 2026"
    detail["reviews"] = {
        "total": total,
        "page": review_page,
        "pages": max(1, math.ceil(total / review_limit)),
        "sort": review_sort,
        "items": items,
    }
    return detail
