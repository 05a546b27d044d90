"""GET /api/v1/providers/<id>/reviews and /reviews/summary: every published review, paged with a
cursor, and the aggregates with the moderation log's counts."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from directory.api import blp
from directory.api.schemas import Moderation, Rating, Review
from directory.api.views import json_response, problem_response
from directory.context import store
from directory.listing import reviews_json
from directory.problems import problem
from directory.search import CursorError, cursor
from registry import listings, review_moderation, reviews
from registry.derive import rating_summary
from registry.schema import is_valid_id


class ReviewListArgs(Schema):
    sort = fields.String(
        load_default="newest",
        validate=validate.OneOf(reviews.SORTS),
        metadata={"description": "newest, highest, lowest or helpful; ties go to the newest."},
    )
    verified_only = fields.Boolean(
        load_default=False, metadata={"description": "Only reviews written after a verified visit."}
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
    cursor = fields.String(
        validate=validate.Length(max=500), metadata={"description": "next_cursor of the previous page."}
    )


class ReviewList(Schema):
    total = fields.Integer(metadata={"description": "Published reviews (verified visits only, if asked)."})
    sort = fields.String()
    verified_only = fields.Boolean()
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page."})
    items = fields.List(fields.Nested(Review))


class ReviewSummary(Schema):
    id = fields.String()
    rating = fields.Nested(Rating, metadata={"description": "All published reviews."})
    verified_visits = fields.Nested(Rating, metadata={"description": "Verified visits alone."})
    moderation = fields.Nested(Moderation)
    policy_url = fields.Url()


def _not_found(provider_id: str):
    return problem(404, "Not Found", f"No provider with id {provider_id!r}.")


def _listing(session: Session, provider_id: str) -> listings.Listing | None:
    return listings.get(session, provider_id) if is_valid_id(provider_id) else None


@blp.route("/providers/<provider_id>/reviews")
class ProviderReviews(MethodView):
    @blp.arguments(ReviewListArgs(), location="query")
    @blp.response(200, ReviewList)
    @problem_response(400, "A parameter or the cursor is invalid.")
    @problem_response(404, "No provider has this id.")
    def get(self, args: dict, provider_id: str):
        """Every published review of a provider, a page at a time (follow next_cursor to the end)."""
        query = {"provider": provider_id, "sort": args["sort"], "verified_only": args["verified_only"]}
        last = cursor.decode(args["cursor"], query) if args.get("cursor") else None
        with Session(store()) as session:
            listing = _listing(session, provider_id)
            if listing is None:
                return _not_found(provider_id)
            try:
                found = reviews.after(
                    session, provider_id, args["sort"], args["limit"] + 1, last, args["verified_only"]
                )
            except ValueError as err:
                raise CursorError("This cursor is not valid; start again from the first page.") from err
        page, more = found[: args["limit"]], len(found) > args["limit"]
        ratings = listing.ratings.verified if args["verified_only"] else listing.ratings
        return json_response(
            {
                "total": ratings.count,
                "sort": args["sort"],
                "verified_only": args["verified_only"],
                "next_cursor": cursor.encode(page[-1].cursor, query) if more else None,
                "items": reviews_json(store(), page),
            }
        )


@blp.route("/providers/<provider_id>/reviews/summary")
class ProviderReviewSummary(MethodView):
    @blp.response(200, ReviewSummary)
    @problem_response(404, "No provider has this id.")
    def get(self, provider_id: str):
        """A provider's review aggregates (all, and verified visits alone) and moderation counts."""
        with Session(store()) as session:
            listing = _listing(session, provider_id)
            if listing is None:
                return _not_found(provider_id)
            moderation = review_moderation.counts(session, provider_id)
        return json_response(
            {
                "id": provider_id,
                "rating": rating_summary(listing.ratings),
                "verified_visits": rating_summary(listing.ratings.verified),
                "moderation": moderation,
                "policy_url": url_for("reviews.policy", _external=True),
            }
        )
