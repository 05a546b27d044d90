"""The store's connection: SQLite or PostgreSQL, brought to the latest migration on open."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    pass


class JsonText(str):
    """JSON text made in advance (in a worker process); the JSON columns store it as it is."""


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@contextmanager
def reading(bind: Engine | Session) -> Iterator[Session]:
    """A session to read with: the caller's (its transaction), or a new one on `bind`'s engine."""
    if isinstance(bind, Session):
        yield bind
        return
    with Session(bind) as session:
        yield session


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
    """The JSON columns' serializer: json as before, except for text serialized in advance."""
    return value if isinstance(value, JsonText) else json.dumps(value)


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
