"""Server-rendered pages for consumers. Thin: validate, call the search core, render.

/search takes exactly the parameters of GET /api/v1/providers, so a results URL is
shareable and returns the same providers in the same order as the API. What the search core
refuses (an invalid parameter, an unknown place, a bad cursor) comes back as the search page
with the message, through this blueprint's error handlers.
"""

from __future__ import annotations

from urllib.parse import urlencode

from elasticsearch import ApiError, TransportError
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError

from directory import cost_guides, jsonld, refine
from directory.consultations import consultation_form
from directory.context import geocoder, search_providers, store
from directory.counting import count
from directory.listing import ReviewArgs, provider_detail
from directory.search import CursorError, PlaceNotFound, Results, SearchQuery, understand_query
from directory.search.args import query_from_args
from registry import photos, vocabulary
from registry.derive import id_from_slug
from registry.models import REPORT_KINDS
from registry.policy import FLAG_REASONS

bp = Blueprint("pages", __name__)

DEFAULT_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


@bp.app_template_global()
def url_with(**changes) -> str:
    """The current page's URL with some query parameters replaced (None removes one).

    Changing anything but the page resets paging, so filters never keep a stale cursor.
    """
    params = request.args.to_dict(flat=False)
    if "cursor" not in changes:
        params.pop("cursor", None)
        params.pop("page", None)
    for key, value in changes.items():
        if value is None or value == []:
            params.pop(key, None)
        else:
            params[key] = value if isinstance(value, list) else [value]
    return f"{request.path}?{urlencode(params, doseq=True)}"


@bp.app_template_global()
def toggled(key: str, value: str) -> list[str]:
    """The values of a repeatable parameter with `value` added or removed."""
    values = request.args.getlist(key)
    return [v for v in values if v != value] if value in values else [*values, value]


@bp.get("/")
def home():
    from directory.learn import all_articles

    return render_template("home.html", articles=all_articles()[:4])


PLACE_MISSING = "Enter a city, ZIP code or address, or use “Near me”."


@bp.get("/search")
def search_page():
    """Results list, facets, sort, paging and map for the API's search parameters."""
    query = query_from_args(request.args)
    if place_left_blank(query):
        return render_search(query, errors={"location": [PLACE_MISSING]})
    return render_search(query, search_providers(query))


def place_left_blank(query: SearchQuery) -> bool:
    """A place box sent empty (or only spaces) with nothing else to search by."""
    sent = request.args.get("location")
    return sent is not None and not sent.strip() and query.lat is None and not query.bbox and not query.q


@bp.errorhandler(ValidationError)
def invalid_search(error: ValidationError):
    return render_search(errors=error.messages)


@bp.errorhandler(PlaceNotFound)
def unknown_place(error: PlaceNotFound):
    errors = {"location": [f"We could not find “{error.place[:100]}”."]}
    return render_search(query_from_args(request.args), errors=errors, suggestions=error.suggestions)


@bp.errorhandler(CursorError)
def bad_cursor(error: CursorError):
    return render_search(
        understand_query(query_from_args(request.args), geocoder()), errors={"cursor": [str(error)]}
    )


def render_search(
    query: SearchQuery | None = None,
    results: Results | None = None,
    errors: dict | None = None,
    suggestions: list[str] | None = None,
):
    """The search page: results, or the form with what is wrong (400)."""
    shown = results is not None and not errors
    return render_template(
        "search.html",
        args=request.args,
        query=query,
        results=results if shown else None,
        errors=errors or {},
        suggestions=suggestions,
        ways_out=refine.ways_out(query) if shown and not results.total else [],
        counts=refine.facet_counts(results.facets if shown else None),
        has_filters=query is not None and refine.has_filters(query),
        certifications=vocabulary.certifications(),
        map_data=map_data(query, results) if shown else {},
        card_photos=photos.first_published(store(), [p["id"] for p in results.items]) if shown else {},
        cost_hint=cost_guides.results_hint(query) if shown and results.total else None,
    ), 400 if errors else 200


def map_data(query: SearchQuery, results: Results) -> dict:
    """What the results map draws: numbered markers like the cards, and the search centre."""
    first = (query.page - 1) * query.limit + 1
    near_me = query.location is None and query.origin is not None
    return {
        "tiles": current_app.config.get("TILE_URL", DEFAULT_TILES),
        "origin": results.origin,
        "origin_label": "You are here" if near_me else f"Search centre: {(query.location or '')[:100]}",
        "points": [
            {
                "id": p["id"],
                "n": first + i,
                "name": p["name"],
                "lat": p["location"]["lat"],
                "lon": p["location"]["lon"],
                "url": url_for("pages.profile", slug=p["slug"]),
                "where": f"{p['address']['city']}, {p['address']['state']}",
                "rating": p["rating"]["average"],
                "reviews": p["rating"]["count"],
            }
            for i, p in enumerate(results.items)
        ],
    }


@bp.get("/providers/<slug>")
def profile(slug: str):
    """A provider's profile: listing, credentials, rating histogram, reviews, map, alternatives."""
    try:
        review_args = ReviewArgs().load(request.args, unknown="exclude")
    except ValidationError:
        review_args = {}
    detail = provider_detail(store(), id_from_slug(slug), **review_args)
    if detail is None:
        abort(404)
    if detail["slug"] != slug:  # renamed or moved: send people to the current address, same query
        query = urlencode(list(request.args.items(multi=True)))
        return redirect(url_for("pages.profile", slug=detail["slug"]) + (f"?{query}" if query else ""), 301)
    if detail["reviews"]["page"] > detail["reviews"]["pages"]:  # past the last page: show the last
        return redirect(url_with(review_page=detail["reviews"]["pages"]) + "#reviews")
    count(detail["id"], "view")
    url = url_for("pages.profile", slug=slug, _external=True)
    return render_template(
        "profile.html",
        p=detail,
        canonical=url,
        nearby=nearby_alternatives(detail),
        price_guides=cost_guides.nearby_guides(detail),
        jsonld=jsonld.script_tag(jsonld.provider(detail, url)),
        tile_url=current_app.config.get("TILE_URL", DEFAULT_TILES),
        photos=photos.of_clinic(store(), detail["id"], published_only=True),
        report_kinds=REPORT_KINDS,
        removal_labels=FLAG_REASONS,
        **consultation_form(detail),
    )


def nearby_alternatives(detail: dict, count: int = 3) -> list[dict]:
    """Other well-ranked providers near this one offering one of its treatments."""
    loc = detail["location"]
    query = SearchQuery(lat=loc["lat"], lon=loc["lon"], limit=count + 1, facets=False)
    try:
        items = search_providers(query).items
    except (TransportError, ApiError):  # optional: the profile itself comes from the store
        current_app.logger.warning("nearby alternatives unavailable", exc_info=True)
        return []
    return [p for p in items if p["id"] != detail["id"]][:count]
