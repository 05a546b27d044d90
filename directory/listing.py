"""A provider's full public listing, read from the store: shared by the API and the profile page."""

from __future__ import annotations

import math
from datetime import date

from flask import url_for
from marshmallow import Schema, fields, validate
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from directory import freshness
from directory.search.core import listing_summary
from registry import listings, photos, review_moderation, reviews, vocabulary
from registry.schema import is_valid_id


class ReviewArgs(Schema):
    """Review paging for the API and the profile page."""

    review_sort = fields.String(load_default="newest", validate=validate.OneOf(reviews.SORTS))
    review_page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    review_limit = fields.Integer(load_default=10, validate=validate.Range(1, 50))
    verified_only = fields.Boolean(
        load_default=False, metadata={"description": "Only reviews written after a verified visit."}
    )


def review_json(review: reviews.Shown, pictures: list | None = None) -> dict:
    """A published review as the API returns it and the profile shows it."""
    treatment = None
    if review.treatment:
        treatment = {
            "code": review.treatment,
            "name": vocabulary.treatments().get(review.treatment, review.treatment),
        }
    return {
        "id": review.id,
        "rating": review.rating,
        "title": review.title,
        "text": review.text,
        "author": review.author,
        "date": review.date.isoformat(),
        "verification": review.kind,
        "label": review.label,
        "verified": review.kind == reviews.VERIFIED,
        "treatment": treatment,
        "visit_month": review.visit_month,
        "helpful": review.helpful,
        "edited": review.edited.isoformat() if review.edited else None,
        "response": {"text": review.response, "date": review.response_date.isoformat()}
        if review.response
        else None,
        "photos": [
            {
                "url": url_for("clinic.photo_file", key=p.file_key, ext=p.extension, _external=True),
                "thumbnail": url_for(
                    "clinic.photo_file", key=p.file_key + ".thumb", ext=p.extension, _external=True
                ),
            }
            for p in pictures or []
        ],
    }


def reviews_json(engine: Engine, shown: list[reviews.Shown]) -> list[dict]:
    """Published reviews with their photos, as the API returns them."""
    found = photos.of_reviews(engine, [r.key for r in shown if r.kind != reviews.FEED])
    return [review_json(r, found.get(r.key)) for r in shown]


def provider_detail(
    engine: Engine,
    provider_id: str,
    review_sort: str = "newest",
    review_page: int = 1,
    review_limit: int = 10,
    verified_only: bool = False,
) -> dict | None:
    """Summary fields (as in search results), description, one page of reviews and the moderation
    log's counts; None if unknown."""
    if not is_valid_id(provider_id):
        return None
    with Session(engine) as session:
        listing = listings.get(session, provider_id)
        if listing is None:
            return None
        items = reviews.page(session, provider_id, review_sort, review_page, review_limit, verified_only)
        moderation = review_moderation.counts(session, provider_id)
    ratings = listing.ratings.verified if verified_only else listing.ratings
    total = ratings.count
    detail = listing_summary(listing.record, listing.ratings, date.today())
    detail["description"] = listing.record.get("description", "")
    detail["prices"] = listing.record.get("prices") or []
    detail["facts"] = freshness.annotate(listing.facts)
    for shown, stored in zip(detail["certifications"], listing.record.get("certifications", []), strict=True):
        shown["verified_at"] = stored.get("verified_at")  # "Verified on May 5, 2026"
    detail["reviews"] = {
        "total": total,
        "page": review_page,
        "pages": max(1, math.ceil(total / review_limit)),
        "sort": review_sort,
        "verified_only": verified_only,
        "items": reviews_json(engine, items),
    }
    detail["moderation"] = moderation
    return detail
