"""The store's connection: SQLite or PostgreSQL, brought to the latest migration on open."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(?:\"(\w+)\"|None)\s*$", re.MULTILINE)


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
    """Upgrade to the latest migration. Alembic is loaded only when there is one to run: its
    modules would otherwise stay in every web worker (10 MB of each one's memory)."""
    head = head_revision()
    if head is not None and stored_revision(engine) == head:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def stored_revision(engine: Engine) -> str | None:
    """The migration the store is at (alembic's own table), None for a new store."""
    with engine.connect() as connection:
        if not engine.dialect.has_table(connection, "alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str | None:
    """The latest migration, read from the files' `revision` and `down_revision` lines (None
    when they do not name exactly one head: then alembic decides)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(path.read_text()):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None
