"""A provider's full public listing, read from the store: shared by the API and the profile page."""

from __future__ import annotations

import math
from datetime import date

from marshmallow import Schema, fields, validate
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from directory.search.core import listing_summary
from registry.models import Clinic
from registry.schema import is_valid_id

REVIEW_SORTS = ("newest", "highest", "lowest")


class ReviewArgs(Schema):
    """Review paging for the API and the profile page."""

    review_sort = fields.String(load_default="newest", validate=validate.OneOf(REVIEW_SORTS))
    review_page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    review_limit = fields.Integer(load_default=10, validate=validate.Range(1, 50))


def get_record(engine: Engine, provider_id: str) -> dict | None:
    if not is_valid_id(provider_id):
        return None
    with Session(engine) as session:
        row = session.get(Clinic, provider_id)
        return row.record if row else None


def sorted_reviews(reviews: list[dict], sort: str) -> list[dict]:
    """Newest first; highest/lowest by rating, newest first among equal ratings."""
    newest = sorted(reviews, key=lambda r: (r["date"], r["id"]), reverse=True)
    if sort == "newest":
        return newest
    return sorted(newest, key=lambda r: r["rating"], reverse=sort == "highest")


def provider_detail(
    record: dict, review_sort: str = "newest", review_page: int = 1, review_limit: int = 10
) -> dict:
    """Summary fields (as in search results), description, and one page of reviews."""
    reviews = sorted_reviews(record.get("reviews", []), review_sort)
    start = (review_page - 1) * review_limit
    detail = listing_summary(record, date.today())
    detail["description"] = record.get("description", "")
    detail["reviews"] = {
        "total": len(reviews),
        "page": review_page,
        "pages": max(1, math.ceil(len(reviews) / review_limit)),
        "sort": review_sort,
        "items": reviews[start : start + review_limit],
    }
    return detail
