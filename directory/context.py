"""What a request reaches through the app: the store, the search engine, settings, mail, the geocoder;
and the two calls most views make: search providers, index what was just saved."""

from __future__ import annotations

from elasticsearch import Elasticsearch
from flask import current_app
from sqlalchemy.engine import Engine

from directory.search import Results, SearchQuery, search, understand_query
from indexer.sync import index_pending
from registry import outbox
from registry.mail import Mailer
from registry.settings import Settings


def store() -> Engine:
    return current_app.extensions["store"]


def es() -> Elasticsearch:
    return current_app.extensions["elasticsearch"]


def settings() -> Settings:
    return current_app.config["SETTINGS"]


def mailer() -> Mailer:
    """The one mail interface (registry/mail.py): a file under var/mail/ by default, SMTP by configuration."""
    return current_app.extensions["mail"]


def geocoder():
    return current_app.extensions["geocoder"]


def search_providers(query: SearchQuery) -> Results:
    """Understand the query (place box and q), then search; PlaceNotFound and CursorError reach the
    app's handlers."""
    return search(es(), settings().index, understand_query(query, geocoder()))


def index_changes(clinic_id: str | None = None) -> str:
    """Index the changes just saved (the outbox) and say where `clinic_id`'s listing stands:
    "indexed" (search shows it), "queued" (Elasticsearch is unavailable; the app's background
    worker retries) or "refused" (Elasticsearch refused the document; administrators see it).
    Without a listing: "refused" when any document of this drain was refused."""
    result = index_pending(store(), es(), settings().index)
    if clinic_id is None and result.refused or clinic_id and outbox.refusal_of(store(), clinic_id):
        return "refused"
    return "queued" if result.error else "indexed"
