"""The outbox drain: index the listings queued in the store's outbox (`registry.outbox`).

The one entry point for the web app (right after a save), its background thread (while
Elasticsearch was down) and `python -m indexer sync`.
"""

from __future__ import annotations

from dataclasses import dataclass

from elasticsearch import ApiError, Elasticsearch, TransportError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from indexer import index
from registry import outbox
from registry.listings import get_many


@dataclass
class DrainResult:
    indexed: int = 0
    failed: int = 0
    error: str | None = None


def index_pending(engine: Engine, client: Elasticsearch, alias: str, batch: int = 500) -> DrainResult:
    """Index every queued listing, batch by batch; stop at the first Elasticsearch failure."""
    total = DrainResult()
    while True:
        result = _drain_batch(engine, client, alias, batch)
        total.indexed += result.indexed
        total.failed += result.failed
        total.error = result.error
        if result.error or result.indexed + result.failed < batch:
            return total


def _drain_batch(engine: Engine, client: Elasticsearch, alias: str, batch: int) -> DrainResult:
    with Session(engine) as session:
        entries = outbox.take(session, batch)
        if not entries:
            return DrainResult()
        ids = {e.clinic_id for e in entries}
        listings = get_many(session, ids)
        try:
            result = index.upsert(client, alias, list(listings.values())) if listings else index.BulkResult()
        except (TransportError, ApiError) as err:
            outbox.failed(session, entries, f"{type(err).__name__}: {err}")
            session.commit()
            return DrainResult(failed=len(ids), error=type(err).__name__)
        failed = {rid for rid, _ in result.errors}
        outbox.done(session, entries, (ids - failed) | (ids - set(listings)))  # gone from the store: done
        session.commit()
        return DrainResult(indexed=result.indexed, failed=len(failed))
