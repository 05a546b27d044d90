"""The Learn section: educational articles, each followed by qualified providers of its treatment.

Articles are Markdown files read once per app (registry/articles.py); the search box and the
provider block ask the search core. Nothing here builds a query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from elasticsearch import NotFoundError, TransportError
from flask import Blueprint, abort, current_app, render_template, request, url_for
from marshmallow import ValidationError

from directory import jsonld
from directory.context import es, search_providers, settings
from directory.search import PlaceNotFound, SearchQuery
from directory.search.args import UNITS_KM, SearchArgs
from directory.search.articles import search_articles
from registry import vocabulary
from registry.articles import CONTENT_DIR, Article, load_articles

bp = Blueprint("learn", __name__, url_prefix="/learn")

BLOCK_SIZE = 3
MAX_QUERY = 200
PLACE_ARGS = ("lat", "lon", "location")
PUBLISHER = {"@type": "Organization", "name": "Provider Directory"}

# The engine is optional for this section: articles come from files, so a missing articles
# index or an unreachable node only turns search (or the provider block) off, never the page.
SEARCH_DOWN = (NotFoundError, TransportError)


def library() -> dict[str, Article]:
    """Articles by slug, newest first, read from the ARTICLES_DIR config once per app."""
    articles = current_app.extensions.get("articles")
    if articles is None:
        directory = Path(current_app.config.get("ARTICLES_DIR", CONTENT_DIR))
        articles = current_app.extensions["articles"] = {a.slug: a for a in load_articles(directory)}
    return articles


def all_articles() -> list[Article]:
    """Every article, newest first (the sitemap and the home page list them)."""
    return list(library().values())


def treatment_name(code: str) -> str:
    return vocabulary.treatments().get(code, code)


@bp.get("/")
def index():
    """All articles, or those matching ?q= (all of them, with a notice, if search is down)."""
    articles = library()
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    found, unavailable = None, False
    if q:
        try:
            hits = search_articles(es(), settings().articles_index, q, limit=max(1, len(articles)))
            found = [articles[h["slug"]] for h in hits if h["slug"] in articles]
        except SEARCH_DOWN:
            current_app.logger.warning("article search unavailable", exc_info=True)
            unavailable = True
    return render_template(
        "learn_index.html",
        q=q,
        articles=all_articles() if found is None else found,
        searched=found is not None,
        unavailable=unavailable,
        treatment_name=treatment_name,
    )


@bp.get("/<slug>")
def article(slug: str):
    """One article with its FAQ, structured data, related reading and nearby qualified providers."""
    articles = library()
    item = articles.get(slug)
    if item is None:
        abort(404)
    url = url_for("learn.article", slug=slug, _external=True)
    return render_template(
        "article.html",
        article=item,
        canonical=url,
        treatment=treatment_name(item.treatment),
        related=[articles[s] for s in item.related if s in articles],
        block=provider_block(item),
        article_ld=jsonld.script_tag(article_data(item, url)),
        faq_ld=jsonld.script_tag(faq_page(item)) if item.faq else None,
    )


@dataclass
class ProviderBlock:
    """What the "Find a qualified provider near you" block shows."""

    article: Article
    location: str = ""
    # The place as typed, or "your location" for lat/lon; None until a place is given.
    place: str | None = None
    radius_mi: int = 0
    providers: list[dict] = field(default_factory=list)
    total: int = 0
    error: str | None = None
    suggestions: list[str] = field(default_factory=list)
    unavailable: bool = False
    see_all: str = ""


def provider_block(article: Article) -> ProviderBlock:
    """Qualified providers of the article's treatment near ?location= or lat/lon, else top rated."""
    block = ProviderBlock(article, location=request.args.get("location", "").strip())
    given = {k: v for k in PLACE_ARGS if (v := request.args.get(k, "").strip())}
    try:
        place = SearchArgs(only=PLACE_ARGS).load(given)
    except ValidationError:
        block.error = "Enter a ZIP code or a city and state, like 28202 or Charlotte, NC."
        return block
    if place.location is None and place.lat is None:
        # No place known: ask for one. Clinics picked from anywhere would only mislead.
        block.see_all = url_for(
            "pages.search_page", treatment=article.treatment, qualified="true", sort="rating"
        )
        return block
    query = SearchQuery(
        lat=place.lat,
        lon=place.lon,
        location=place.location,
        treatment=[article.treatment],
        qualified=True,
        sort="best",
        limit=BLOCK_SIZE,
        facets=False,
    )
    block.see_all = url_for(
        "pages.search_page",
        treatment=article.treatment,
        qualified="true",
        location=place.location,
        lat=place.lat,
        lon=place.lon,
    )
    try:
        results = search_providers(query)
    except PlaceNotFound as err:
        block.error = f"We could not find “{err.place}”. Check the spelling, or try a ZIP code."
        block.suggestions = err.suggestions
        return block
    except SEARCH_DOWN:
        current_app.logger.warning("provider block unavailable", exc_info=True)
        block.unavailable = True
        return block
    block.place = place.location or "your location"
    block.radius_mi = round(query.radius / UNITS_KM["mi"])
    block.providers, block.total = results.items, results.total
    return block


def faq_page(article: Article) -> dict:
    """schema.org FAQPage for the article's questions, exactly as the page shows them."""
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": item.q,
                "acceptedAnswer": {"@type": "Answer", "text": item.a},
            }
            for item in article.faq
        ],
    }


def article_data(article: Article, url: str) -> dict:
    """schema.org Article: headline, dates, reading time and the treatment it is about."""
    return {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": article.title,
        "description": article.description,
        "datePublished": article.published.isoformat(),
        "dateModified": article.updated.isoformat(),
        "timeRequired": f"PT{article.reading_minutes}M",
        "inLanguage": "en",
        "about": {"@type": "MedicalProcedure", "name": treatment_name(article.treatment)},
        "author": PUBLISHER,
        "publisher": PUBLISHER,
    }
