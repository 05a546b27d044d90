"""Fixed-window counters in the store (table rate_limits), shared by every app process and host.

A row holds one key's current window: the hits counted in it and the window's end (Unix
seconds). The web app counts most hits in memory and adds them here in batches (`add`: windows
cut the same way by every process, so equal ends mean the same window), and counts each hit of
its exact limits at once (`count`: a window starts at the key's first hit; sign-in, reset,
report and export limits, page views).
"""

from __future__ import annotations

import random
from functools import cache

from sqlalchemy import bindparam, case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from registry.models import RateLimit

TABLE = RateLimit.__table__
SWEEP_SHARE = 0.01  # of writes that also delete ended windows


@cache
def _add(dialect: str):
    """INSERT ... ON CONFLICT DO UPDATE ... RETURNING: hits added to the stored window when it is
    the same window, a new window replacing one that ended, hits for an older window dropped."""
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](TABLE)
    insert = insert.values(key=bindparam("key"), count=bindparam("hits"), expires_at=bindparam("ends"))
    new = insert.excluded
    same = TABLE.c.expires_at == new.expires_at
    newer = TABLE.c.expires_at < new.expires_at
    return insert.on_conflict_do_update(
        index_elements=[TABLE.c.key],
        set_={
            "count": case(
                (same, TABLE.c["count"] + new["count"]), (newer, new["count"]), else_=TABLE.c["count"]
            ),
            "expires_at": case((newer, new.expires_at), else_=TABLE.c.expires_at),
        },
    ).returning(TABLE.c["count"], TABLE.c.expires_at)


@cache
def _count(dialect: str):
    """One hit counted at once: in the key's running window, or starting the next one (a window
    starts at the key's first hit and lasts its period)."""
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](TABLE)
    insert = insert.values(key=bindparam("key"), count=1, expires_at=bindparam("ends"))
    running = TABLE.c.expires_at > bindparam("now")
    return insert.on_conflict_do_update(
        index_elements=[TABLE.c.key],
        set_={
            "count": case((running, TABLE.c["count"] + 1), else_=1),
            "expires_at": case((running, TABLE.c.expires_at), else_=insert.excluded.expires_at),
        },
    ).returning(TABLE.c["count"], TABLE.c.expires_at)


def count(engine: Engine, key: str, seconds: int, now: float) -> tuple[int, float]:
    """Count one hit of `key` in a window of `seconds`: its hits in the window and the window's end."""
    with engine.begin() as conn:
        hits, ends = conn.execute(
            _count(engine.dialect.name), {"key": key, "ends": now + seconds, "now": now}
        ).one()
        _sweep(conn, now)
    return hits, ends


def _sweep(conn, now: float) -> None:
    if random.random() < SWEEP_SHARE:
        conn.execute(delete(TABLE).where(TABLE.c.expires_at <= now))


def add(engine: Engine, hits: list[tuple[str, float, int]], now: float) -> dict[str, int]:
    """Add `(key, window end, hits)` in one transaction; return each key's count in that window
    (a key whose stored window is already a later one is left out)."""
    counts = {}
    statement = _add(engine.dialect.name)
    with engine.begin() as conn:
        for key, ends, n in hits:
            count, stored_end = conn.execute(statement, {"key": key, "hits": n, "ends": ends}).one()
            if stored_end == ends:
                counts[key] = count
        _sweep(conn, now)
    return counts


def clear(engine: Engine, key: str | None = None) -> int:
    """Forget one key's window, or every window; how many were removed."""
    statement = delete(TABLE) if key is None else delete(TABLE).where(TABLE.c.key == key)
    with engine.begin() as conn:
        return conn.execute(statement).rowcount
