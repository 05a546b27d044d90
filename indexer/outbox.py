"""The index outbox: listing changes saved in the store wait here until Elasticsearch has them.

A clinic's save writes the listing and an outbox row in one transaction, so a change can
never be saved without being queued. `drain` indexes queued listings and removes only the
rows it has indexed; when Elasticsearch is down the rows stay (with the error) for the next
try by the app's background worker, `python -m indexer sync`, or the next drain after a save.
Writing a document twice under its stable id is harmless, so nothing is lost or duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass

from elasticsearch import ApiError, Elasticsearch, TransportError
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from indexer import index
from indexer.store import OutboxEntry, get_records, now


@dataclass
class DrainResult:
    indexed: int = 0
    failed: int = 0
    error: str | None = None


def enqueue(session: Session, clinic_id: str) -> None:
    session.add(OutboxEntry(clinic_id=clinic_id, enqueued_at=now(), attempts=0))


def pending(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxEntry))


def drain(engine: Engine, client: Elasticsearch, alias: str, batch: int = 500) -> DrainResult:
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
        entries = session.scalars(select(OutboxEntry).order_by(OutboxEntry.id).limit(batch)).all()
        if not entries:
            return DrainResult()
        last_id = entries[-1].id
        ids = {e.clinic_id for e in entries}
        records = get_records(session, ids)
        try:
            result = index.upsert(client, alias, list(records.values())) if records else index.BulkResult()
        except (TransportError, ApiError) as err:
            for entry in entries:
                entry.attempts += 1
                entry.last_error = f"{type(err).__name__}: {err}"[:500]
            session.commit()
            return DrainResult(failed=len(ids), error=type(err).__name__)
        failed = {rid for rid, _ in result.errors}
        done = (ids - failed) | (ids - set(records))  # listings gone from the store need nothing
        session.execute(delete(OutboxEntry).where(OutboxEntry.id <= last_id, OutboxEntry.clinic_id.in_(done)))
        session.commit()
        return DrainResult(indexed=result.indexed, failed=len(failed))
