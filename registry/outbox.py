"""The index outbox, store side: listing changes saved in the store wait here for Elasticsearch.

A change writes the listing and an outbox row in one transaction, so a change can never be
saved without being queued. The indexer (`indexer.sync`) takes rows in batches, indexes the
listings and removes only the rows it has indexed; when Elasticsearch is down the rows stay,
with the error, for the next try. Writing a document twice under its stable id is harmless,
so nothing is lost or duplicated.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.db import now
from registry.models import OutboxEntry


def enqueue(session: Session, clinic_id: str) -> None:
    """Queue the listing's search document for (re)writing, in the caller's transaction."""
    session.add(OutboxEntry(clinic_id=clinic_id, enqueued_at=now(), attempts=0))


def pending(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxEntry))


def take(session: Session, batch: int) -> list[OutboxEntry]:
    """The oldest `batch` queued rows."""
    return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id).limit(batch)))


def done(session: Session, entries: list[OutboxEntry], clinic_ids: set[str]) -> None:
    """Remove the taken rows of these listings (and no row queued since)."""
    last_id = entries[-1].id
    session.execute(
        delete(OutboxEntry).where(OutboxEntry.id <= last_id, OutboxEntry.clinic_id.in_(clinic_ids))
    )


def failed(session: Session, entries: list[OutboxEntry], error: str) -> None:
    """Keep the rows for the next try, with what went wrong."""
    for entry in entries:
        entry.attempts += 1
        entry.last_error = error[:500]
