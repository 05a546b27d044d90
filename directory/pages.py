"""Server-rendered pages for consumers. Thin: validate, call the search core, render.

/search takes exactly the parameters of GET /api/v1/providers, so a results URL is
shareable and returns the same providers in the same order as the API.
"""

from __future__ import annotations

from urllib.parse import urlencode

from elasticsearch import ApiError, TransportError
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory import jsonld
from directory.listing import ReviewArgs, provider_detail
from directory.search import CursorError, PlaceNotFound, SearchQuery, resolve_place, search
from directory.search.args import UNITS_KM, query_from_args
from registry import db, models, vocabulary
from registry.derive import id_from_slug, profile_slug
from registry.models import REPORT_KINDS, Photo

bp = Blueprint("pages", __name__)

SITEMAP_CHUNK = 50_000  # the sitemap protocol's limit per file
RADIUS_STEPS_MI = (5, 10, 25, 50, 100)


def _alias() -> str:
    return current_app.config["SETTINGS"].index


def _client():
    return current_app.extensions["elasticsearch"]


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

    return render_template(
        "home.html", treatments=vocabulary.treatments(), args=request.args, articles=all_articles()[:4]
    )


@bp.get("/search")
def search_page():
    """Results list, facets, sort, paging and map for the API's search parameters."""
    errors: dict = {}
    results = suggestions = query = None
    try:
        query = query_from_args(request.args)
        resolve_place(query, current_app.extensions["geocoder"])
        results = search(_client(), _alias(), query)
    except ValidationError as err:
        errors = err.messages
    except PlaceNotFound as err:
        errors = {"location": [f"We could not find “{err.place}”."]}
        suggestions = err.suggestions
    except CursorError as err:
        errors = {"cursor": [str(err)]}
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    return render_template(
        "search.html",
        args=request.args,
        query=query,
        results=results,
        errors=errors,
        suggestions=suggestions,
        page=page,
        wider=wider_radius(query) if results and not results.total else None,
        treatments=vocabulary.treatments(),
        certifications=vocabulary.certifications(),
        map_points=map_points(results),
        tile_url=current_app.config.get("TILE_URL", DEFAULT_TILES),
    ), 400 if errors else 200


DEFAULT_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def wider_radius(query: SearchQuery | None) -> str | None:
    """The next radius step up for an empty result, e.g. '50mi', or None at the maximum."""
    if query is None or query.origin is None or query.bbox:
        return None
    miles = query.radius / UNITS_KM["mi"]
    return next((f"{step}mi" for step in RADIUS_STEPS_MI if step > miles + 0.01), None)


def map_points(results) -> list[dict]:
    if not results:
        return []
    return [
        {
            "id": p["id"],
            "name": p["name"],
            "lat": p["location"]["lat"],
            "lon": p["location"]["lon"],
            "url": url_for("pages.profile", slug=p["slug"]),
            "rating": p["rating"]["average"],
        }
        for p in results.items
    ]


@bp.get("/providers/<slug>")
def profile(slug: str):
    """A provider's profile: listing, credentials, rating histogram, reviews, map, alternatives."""
    try:
        review_args = ReviewArgs().load(request.args, unknown="exclude")
    except ValidationError:
        review_args = {}
    detail = provider_detail(current_app.extensions["store"], id_from_slug(slug), **review_args)
    if detail is None:
        abort(404)
    if detail["slug"] != slug:  # renamed or moved: send people to the current address
        return redirect(url_for("pages.profile", slug=detail["slug"], **request.args), 301)
    url = url_for("pages.profile", slug=slug, _external=True)
    with Session(current_app.extensions["store"]) as session:
        photos = session.scalars(
            select(Photo)
            .where(Photo.clinic_id == detail["id"], Photo.consent.is_(True))
            .order_by(Photo.position, Photo.id)
        ).all()
    return render_template(
        "profile.html",
        p=detail,
        canonical=url,
        nearby=nearby_alternatives(detail),
        jsonld=jsonld.script_tag(jsonld.provider(detail, url)),
        tile_url=current_app.config.get("TILE_URL", DEFAULT_TILES),
        photos=photos,
        report_kinds=REPORT_KINDS,
    )


def nearby_alternatives(detail: dict, count: int = 3) -> list[dict]:
    """Other well-ranked providers near this one offering one of its treatments."""
    loc = detail["location"]
    query = SearchQuery(lat=loc["lat"], lon=loc["lon"], limit=count + 1, facets=False)
    try:
        items = search(_client(), _alias(), query).items
    except (TransportError, ApiError):  # optional: the profile itself comes from the store
        current_app.logger.warning("nearby alternatives unavailable", exc_info=True)
        return []
    return [p for p in items if p["id"] != detail["id"]][:count]


@bp.get("/robots.txt")
def robots():
    sitemap_url = url_for("pages.sitemap", _external=True)
    body = f"User-agent: *\nDisallow: /api/\nDisallow: /clinic/\nDisallow: /admin/\nSitemap: {sitemap_url}\n"
    return Response(body, mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap():
    """A sitemap index: one file for pages and articles, then providers in chunks of 50,000."""
    with Session(current_app.extensions["store"]) as session:
        total = session.scalar(select(func.count()).select_from(models.Clinic))
    chunks = max(1, -(-total // SITEMAP_CHUNK))
    urls = [url_for("pages.sitemap_pages", _external=True)]
    urls += [url_for("pages.sitemap_providers", n=n, _external=True) for n in range(1, chunks + 1)]
    return Response(render_template("sitemap_index.xml", urls=urls), mimetype="application/xml")


@bp.get("/sitemaps/pages.xml")
def sitemap_pages():
    entries = [
        {"loc": url_for("pages.home", _external=True)},
        {"loc": url_for("pages.search_page", _external=True)},
    ]
    entries += article_entries()
    return Response(render_template("sitemap.xml", entries=entries), mimetype="application/xml")


def article_entries() -> list[dict]:
    """Articles of the Learn section, when it is installed."""
    if "learn.article" not in current_app.view_functions:
        return []
    from directory.learn import all_articles

    entries = [{"loc": url_for("learn.index", _external=True)}]
    for article in all_articles():
        entries.append(
            {
                "loc": url_for("learn.article", slug=article.slug, _external=True),
                "lastmod": str(article.updated),
            }
        )
    return entries


@bp.get("/sitemaps/providers-<int:n>.xml")
def sitemap_providers(n: int):
    if n < 1:
        abort(404)
    with Session(current_app.extensions["store"]) as session:
        rows = session.execute(
            select(models.Clinic.record, models.Clinic.updated_at)
            .order_by(models.Clinic.id)
            .offset((n - 1) * SITEMAP_CHUNK)
            .limit(SITEMAP_CHUNK)
        ).all()
    if not rows and n > 1:
        abort(404)
    entries = [
        {
            "loc": url_for("pages.profile", slug=profile_slug(r.record), _external=True),
            "lastmod": db.as_utc(r.updated_at).date().isoformat(),
        }
        for r in rows
    ]
    return Response(render_template("sitemap.xml", entries=entries), mimetype="application/xml")


@bp.get("/api/v1/docs")
def api_docs():
    """Human-readable reference generated from the same OpenAPI document partners download."""
    spec = current_app.extensions["api"].spec.to_dict()
    return render_template("api_docs.html", spec=spec)
