"""Fixed-window counters in the store (table rate_limits), shared by every app process and host.

Times are Unix seconds, as the `limits` library counts them (`directory.ratelimit` plugs these
counters into it).
"""

from __future__ import annotations

import random
from functools import cache

from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from registry.models import RateLimit

TABLE = RateLimit.__table__
SWEEP_SHARE = 0.01  # of increments that also delete expired windows


@cache
def _increment(dialect: str):
    """INSERT ... ON CONFLICT DO UPDATE ... RETURNING: a new window, or one more in the current one."""
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](TABLE)
    insert = insert.values(key=bindparam("key"), count=bindparam("amount"), expires_at=bindparam("expires"))
    expired = TABLE.c.expires_at <= bindparam("now")
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=[TABLE.c.key],
        set_={
            "count": case((expired, new["count"]), else_=TABLE.c["count"] + new["count"]),
            "expires_at": case((expired, new.expires_at), else_=TABLE.c.expires_at),
        },
    ).returning(TABLE.c["count"], TABLE.c.expires_at)


def increment(engine: Engine, key: str, amount: int, expiry: float, now: float) -> tuple[int, float]:
    """Count `amount` hits of `key` in its window (a new one of `expiry` seconds if it ran out);
    return the window's count and end."""
    params = {"key": key, "amount": amount, "expires": now + expiry, "now": now}
    with engine.begin() as conn:
        count, expires_at = conn.execute(_increment(engine.dialect.name), params).one()
        if random.random() < SWEEP_SHARE:  # sweep expired windows now and then
            conn.execute(delete(TABLE).where(TABLE.c.expires_at <= now))
    return count, expires_at


def current(engine: Engine, key: str, now: float) -> int:
    """Hits of `key` in its running window (0 when it has none)."""
    with engine.connect() as conn:
        count = conn.scalar(select(TABLE.c["count"]).where(TABLE.c.key == key, TABLE.c.expires_at > now))
    return count or 0


def window_end(engine: Engine, key: str) -> float | None:
    with engine.connect() as conn:
        return conn.scalar(select(TABLE.c.expires_at).where(TABLE.c.key == key))


def clear(engine: Engine, key: str | None = None) -> int:
    """Forget one key's window, or every window; how many were removed."""
    statement = delete(TABLE) if key is None else delete(TABLE).where(TABLE.c.key == key)
    with engine.begin() as conn:
        return conn.execute(statement).rowcount
