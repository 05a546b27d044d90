"""Server-rendered pages for consumers. Thin: validate, call the search core, render."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from directory.search import CursorError, PlaceNotFound, resolve_place, search
from directory.search.args import SearchArgs
from directory.search.core import listing_summary
from indexer import store, vocabulary
from indexer.derive import id_from_slug, profile_slug

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("home.html", treatments=vocabulary.treatments())


@bp.get("/search")
def search_page():
    """Results for the same parameters as GET /api/v1/providers, so URLs are shareable."""
    args = request.args
    errors: dict = {}
    results = suggestions = None
    try:
        query = SearchArgs().load(args)
        resolve_place(query, current_app.extensions["geocoder"])
        results = search(current_app.extensions["elasticsearch"], current_app.config["SETTINGS"].index, query)
    except ValidationError as err:
        errors = err.messages
    except PlaceNotFound as err:
        errors = {"location": [f"We could not find {err.place!r}."]}
        suggestions = err.suggestions
    except CursorError as err:
        errors = {"cursor": [str(err)]}
    status = 400 if errors else 200
    return render_template(
        "search.html", args=args, results=results, errors=errors, suggestions=suggestions,
        treatments=vocabulary.treatments(),
    ), status


@bp.get("/providers/<slug>")
def profile(slug: str):
    """A provider's profile: listing, credentials and reviews, read from the store by id."""
    with Session(current_app.extensions["store"]) as session:
        row = session.get(store.Clinic, id_from_slug(slug))
        record = row.record if row else None
    if record is None:
        abort(404)
    if profile_slug(record) != slug:  # renamed or moved: send people to the current address
        return redirect(url_for("pages.profile", slug=profile_slug(record)), 301)
    summary = listing_summary(record, date.today())
    reviews = sorted(record.get("reviews", []), key=lambda r: r["date"], reverse=True)
    return render_template("profile.html", p=summary, record=record, reviews=reviews)
