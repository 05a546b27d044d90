"""Site-wide files and pages: robots.txt, the sitemaps (an index of 50,000-URL files), the API
reference, the favicon browsers ask for at the root, and "How we verify"."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, send_from_directory, url_for

from directory.context import store
from registry import listings, vocabulary
from registry.derive import profile_slug

bp = Blueprint("site", __name__)

SITEMAP_CHUNK = 50_000  # the sitemap protocol's limit per file


@bp.get("/robots.txt")
def robots():
    sitemap_url = url_for("site.sitemap", _external=True)
    private = ("/api/", "/clinic/", "/admin/", "/consultations/", "/reviews/")  # /reviews/: mailed links
    rules = "".join(f"Disallow: {path}\n" for path in private)
    body = f"User-agent: *\n{rules}Sitemap: {sitemap_url}\n"
    return Response(body, mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap():
    """A sitemap index: one file for pages and articles, one for cost guides, then providers in
    chunks of 50,000."""
    chunks = max(1, -(-listings.count(store()) // SITEMAP_CHUNK))
    urls = [url_for("site.sitemap_pages", _external=True)]
    if "costs.sitemap" in current_app.view_functions:
        urls.append(url_for("costs.sitemap", _external=True))
    urls += [url_for("site.sitemap_providers", n=n, _external=True) for n in range(1, chunks + 1)]
    return Response(render_template("sitemap_index.xml", urls=urls), mimetype="application/xml")


@bp.get("/sitemaps/pages.xml")
def sitemap_pages():
    entries = [
        {"loc": url_for("pages.home", _external=True)},
        {"loc": url_for("pages.search_page", _external=True)},
        {"loc": url_for("reviews.policy", _external=True)},
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
    rows = listings.page_by_id(store(), (n - 1) * SITEMAP_CHUNK, SITEMAP_CHUNK)
    if not rows and n > 1:
        abort(404)
    entries = [
        {
            "loc": url_for("pages.profile", slug=profile_slug(record), _external=True),
            "lastmod": updated_at.date().isoformat(),
        }
        for record, updated_at in rows
    ]
    return Response(render_template("sitemap.xml", entries=entries), mimetype="application/xml")


@bp.get("/api/v1/docs")
def api_docs():
    """Human-readable reference generated from the same OpenAPI document partners download."""
    spec = current_app.extensions["api"].spec.to_dict()
    return render_template("api_docs.html", spec=spec)


@bp.get("/how-we-verify")
def how_we_verify():
    """What "verified" means for a credential and for a review, how expiry is checked, reporting."""
    return render_template("how_we_verify.html", certifications=vocabulary.certifications())


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "icons/favicon.ico", max_age=7 * 86400)
