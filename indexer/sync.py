"""The outbox drain: index the listings queued in the store's outbox (`registry.outbox`).

The one entry point for the web app (right after a save), its background thread (while
Elasticsearch was down) and `python -m indexer sync`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    error: str | None = None  # Elasticsearch could not be reached: the rows stay due
    refused: dict[str, str] = field(default_factory=dict)  # listing id -> why its document was refused


def index_pending(engine: Engine, client: Elasticsearch, alias: str, batch: int = 500) -> DrainResult:
    """Index every queued listing that is due, batch by batch; stop at the first Elasticsearch
    failure. A refused document backs its row off, so each batch moves on past it."""
    total = DrainResult()
    while True:
        result, taken = _drain_batch(engine, client, alias, batch)
        total.indexed += result.indexed
        total.failed += result.failed
        total.refused |= result.refused
        total.error = result.error
        if result.error or taken < batch:
            return total


def _drain_batch(engine: Engine, client: Elasticsearch, alias: str, batch: int) -> tuple[DrainResult, int]:
    with Session(engine) as session:
        entries = outbox.take(session, batch)
        if not entries:
            return DrainResult(), 0
        ids = {e.clinic_id for e in entries}
        listings = get_many(session, ids)
        try:
            result = index.upsert(client, alias, list(listings.values())) if listings else index.BulkResult()
        except (TransportError, ApiError) as err:
            outbox.failed(session, entries, f"{type(err).__name__}: {err}")
            session.commit()
            return DrainResult(failed=len(ids), error=type(err).__name__), len(entries)
        refused = dict(result.errors)
        outbox.refused(session, [e for e in entries if e.clinic_id in refused], refused)
        gone = ids - set(listings)  # deleted from the store: nothing to index, done
        outbox.done(session, entries, (ids - set(refused)) | gone)
        session.commit()
        return DrainResult(indexed=result.indexed, failed=len(refused), refused=refused), len(entries)
