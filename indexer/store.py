"""The system of record: clinic listings in a relational database (SQLite or PostgreSQL).

Elasticsearch is derived from this store and can be rebuilt from it at any time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, DateTime, Integer, String, create_engine, event, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    pass


class Clinic(Base):
    """One listing. `record` holds the validated clinic record as JSON."""

    __tablename__ = "clinics"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    source: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def open_store(url: str) -> Engine:
    """Connect to the store and bring its schema to the latest migration."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, json_serializer=_dumps)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    # Forked web workers must not share the migration's pooled connections.
    engine.dispose()
    return engine


def _dumps(value) -> str:
    """The JSON columns' serializer: json as before, except for records serialized in advance."""
    return value.json if isinstance(value, Serialized) else json.dumps(value)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets web workers read while one writes; waiting beats 'database is locked'."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints rather than every commit: a crash can lose the
    # last commits but never corrupts the database (rate-limit counters commit per request).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def migrate(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def upsert(session: Session, record: dict, source: str, actor: str | None = None) -> bool:
    """Store a validated record; return False when a newer stored version wins.

    A row never replaces a listing whose stored `updated_at` is newer than its own, so a
    clinic's recent edit survives the re-import of an older feed; the audit trail records
    both the changes applied and the rows skipped.
    """
    updated = record_time(record)
    row = session.get(Clinic, record["id"])
    if row is None:
        session.add(Clinic(id=record["id"], record=record, updated_at=updated, source=source))
        return True
    if as_utc(row.updated_at) > updated:
        kept = {"updated_at": [row.record.get("updated_at"), record.get("updated_at")]}
        audit(session, record["id"], actor or source, source, "kept-newer", kept)
        return False
    changes = diff(row.record, record)
    if changes:
        audit(session, record["id"], actor or source, source, "update", changes)
    row.record, row.updated_at, row.source = record, updated, source
    return True


def record_time(record: dict) -> datetime:
    return _time(record.get("updated_at"))


def _time(updated: str | None) -> datetime:
    return as_utc(datetime.fromisoformat(updated)).astimezone(UTC) if updated else now()


class Serialized(NamedTuple):
    """A validated record with its JSON text, made once (in a worker process) and stored as is.

    A tuple of strings, so handing a batch from a worker to the writing process costs ~2 µs a
    record instead of ~28 µs for the record as a dict.
    """

    id: str
    updated_at: str | None
    json: str

    @classmethod
    def of(cls, record: dict) -> Serialized:
        """orjson for a record the schema validated (so no NaN); what it declines goes through json."""
        try:
            text = orjson.dumps(record).decode()
        except orjson.JSONEncodeError:  # lone surrogates, integers beyond 64 bits
            text = json.dumps(record)
        return cls(record["id"], record.get("updated_at"), text)

    def record(self) -> dict:
        return json.loads(self.json)


def upsert_many(session: Session, records: list[Serialized], source: str) -> tuple[list[str], int]:
    """Store a batch (new listings in one executemany); return (ids stored, kept-newer count).

    Within a batch the last row of an id wins, as it would row by row.
    """
    by_id = {r.id: r for r in records}
    # Loading the stored rows (not only their ids) lets upsert() find them in the identity map.
    known = {row.id for row in session.scalars(select(Clinic).where(Clinic.id.in_(list(by_id))))}
    stored, kept, new_rows = [], 0, []
    for rid, item in by_id.items():
        if rid not in known:
            updated = _time(item.updated_at)
            new_rows.append(
                {"id": rid, "record": item, "updated_at": updated, "source": source, "version": 1}
            )
            stored.append(rid)
        elif upsert(session, item.record(), source):
            stored.append(rid)
        else:
            kept += 1
    if new_rows:
        session.execute(insert(Clinic.__table__), new_rows)
    return stored, kept


def iter_records(session: Session, batch: int = 1000) -> Iterator[dict]:
    """Every stored record, streamed in id order."""
    last = ""
    while True:
        rows = session.scalars(select(Clinic).where(Clinic.id > last).order_by(Clinic.id).limit(batch)).all()
        if not rows:
            return
        yield from (r.record for r in rows)
        last = rows[-1].id
        session.expunge_all()


def get_records(session: Session, ids: Iterable[str]) -> dict[str, dict]:
    rows = session.scalars(select(Clinic).where(Clinic.id.in_(list(ids))))
    return {r.id: r.record for r in rows}


class Partner(Base):
    """A partner site's API key (only its SHA-256 is stored), rate limit and CORS origins."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_limit: Mapped[str] = mapped_column(String(50))
    origins: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEntry(Base):
    """Who changed which listing, when, from where (feed, clinic, admin), and what changed."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict] = mapped_column(JSON)


class OutboxEntry(Base):
    """A listing whose search document must be (re)written; removed once Elasticsearch has it."""

    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String, nullable=True)


def diff(old: dict | None, new: dict) -> dict:
    """Top-level fields that differ: {field: [old, new]} (the whole record when created)."""
    if old is None:
        return {"created": [None, new.get("name")]}
    return {k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}


def audit(session: Session, clinic_id: str, actor: str, source: str, action: str, changes: dict) -> None:
    session.add(
        AuditEntry(clinic_id=clinic_id, at=now(), actor=actor, source=source, action=action, changes=changes)
    )
