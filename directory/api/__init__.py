"""The partner JSON API under /api/v1: keys, limits, CORS, and the views in views.py."""

from __future__ import annotations

from flask import g, request
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

from directory import problems, ratelimit
from directory.context import store
from directory.partners import API_KEY_HEADER, current_partner
from directory.problems import problem
from directory.search import CursorError, PlaceNotFound
from registry import partners


class Parser(FlaskParser):
    # A bad parameter is the caller's mistake: 400, not webargs' default 422.
    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = Parser()


blp = ApiBlueprint(
    "api", __name__, url_prefix="/api/v1", description="Search providers, suggestions, articles."
)

blp.register_error_handler(PlaceNotFound, problems.unknown_place)
blp.register_error_handler(CursorError, problems.bad_cursor)

EXPOSED_HEADERS = (
    "ETag, Retry-After, RateLimit, RateLimit-Policy, "
    "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
)


@blp.before_request
def authenticate():
    """Every call counts against its key's limit, or its address's; a wrong key is refused."""
    partner = current_partner()
    if (refused := ratelimit.check_api_limit(partner)) is not None:
        return refused
    if g.invalid_key and request.method != "OPTIONS":
        return problem(401, "Unauthorized", f"The {API_KEY_HEADER} header holds an unknown or revoked key.")
    return None


@blp.after_request
def cors(response):
    """Allow a browser origin only if the calling partner's key lists it."""
    origin = request.headers.get("Origin")
    if not origin:
        return response
    if request.method == "OPTIONS":
        allowed = origin in partners.allowed_origins(store())
        if allowed:
            response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = API_KEY_HEADER
            response.headers["Access-Control-Max-Age"] = "600"
    else:
        partner = current_partner()
        allowed = partner is not None and origin in partner.origins
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    response.vary.add("Origin")
    return response


import directory.api.articles  # noqa: E402,F401  (registers /articles)
import directory.api.reviews  # noqa: E402,F401  (registers /providers/<id>/reviews)
from directory.api import views  # noqa: E402,F401  (registers the routes)
