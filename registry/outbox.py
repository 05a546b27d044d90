"""The index outbox, store side: listing changes saved in the store wait here for Elasticsearch.

A change writes the listing and an outbox row in one transaction, so a change can never be
saved without being queued. The indexer (`indexer.sync`) takes the rows that are due in
batches, indexes the listings and removes only the rows it has indexed. Every failed try is
counted with its error. When Elasticsearch is down the rows stay due, for the next try; when
it refuses one listing's document, that row backs off (RETRY_FIRST, doubling up to RETRY_MOST)
so the rows behind it go on: one bad listing never holds up another clinic's edit. Such rows
are what administrators see as "not in search" (`refused`). Writing a document twice under
its stable id is harmless, so nothing is lost or duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.db import now
from registry.models import OutboxEntry

RETRY_FIRST = timedelta(seconds=30)
RETRY_MOST = timedelta(hours=1)


@dataclass(frozen=True)
class Refusal:
    """A listing whose latest change Elasticsearch refused, as an administrator sees it."""

    clinic_id: str
    since: datetime
    attempts: int
    error: str
    next_attempt_at: datetime


def enqueue(session: Session, clinic_id: str) -> None:
    """Queue the listing's search document for (re)writing, in the caller's transaction."""
    session.add(OutboxEntry(clinic_id=clinic_id, enqueued_at=now(), attempts=0))


def pending(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxEntry))


def _due():
    return or_(OutboxEntry.next_attempt_at.is_(None), OutboxEntry.next_attempt_at <= now())


def due(engine: Engine) -> int:
    """Rows whose next try is now (the others wait out a back-off)."""
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxEntry).where(_due()))


def take(session: Session, batch: int) -> list[OutboxEntry]:
    """The oldest `batch` rows that are due."""
    return list(session.scalars(select(OutboxEntry).where(_due()).order_by(OutboxEntry.id).limit(batch)))


def done(session: Session, entries: list[OutboxEntry], clinic_ids: set[str]) -> None:
    """Remove the taken rows of these listings and their older ones (and no row queued since)."""
    last_id = entries[-1].id
    session.execute(
        delete(OutboxEntry).where(OutboxEntry.id <= last_id, OutboxEntry.clinic_id.in_(clinic_ids))
    )


def _readable(error: str) -> str:
    """The error as stored and shown: it may quote the refused text, NUL included, which
    PostgreSQL does not store; such characters are written as escapes."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in error)[:500]


def failed(session: Session, entries: list[OutboxEntry], error: str) -> None:
    """Elasticsearch could not be reached: keep the rows due for the next try, with the error."""
    for entry in entries:
        entry.attempts += 1
        entry.last_error = _readable(error)


def refused(session: Session, entries: list[OutboxEntry], errors: dict[str, str]) -> None:
    """Elasticsearch refused these listings' documents: record why and back off."""
    for entry in entries:
        entry.attempts += 1
        entry.last_error = _readable(errors[entry.clinic_id])
        entry.next_attempt_at = now() + min(RETRY_FIRST * 2 ** (entry.attempts - 1), RETRY_MOST)


def refusals(engine: Engine, offset: int = 0, limit: int = 50) -> tuple[list[Refusal], int]:
    """Listings whose change Elasticsearch refused, oldest first, one page; and how many in all."""
    latest = (
        select(OutboxEntry.clinic_id, func.max(OutboxEntry.id).label("id"))
        .where(OutboxEntry.next_attempt_at.is_not(None))
        .group_by(OutboxEntry.clinic_id)
        .subquery()
    )
    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(latest))
        rows = session.scalars(
            select(OutboxEntry)
            .join(latest, latest.c.id == OutboxEntry.id)
            .order_by(OutboxEntry.id)
            .offset(offset)
            .limit(limit)
        )
        found = [
            Refusal(r.clinic_id, r.enqueued_at, r.attempts, r.last_error or "", r.next_attempt_at)
            for r in rows
        ]
    return found, total


def refusal_of(engine: Engine, clinic_id: str) -> str | None:
    """Why Elasticsearch refused this listing's latest queued change; None if it did not."""
    with Session(engine) as session:
        return session.scalar(
            select(OutboxEntry.last_error)
            .where(OutboxEntry.clinic_id == clinic_id, OutboxEntry.next_attempt_at.is_not(None))
            .order_by(OutboxEntry.id.desc())
            .limit(1)
        )
