"""Rate limits shared by every gunicorn worker and app host.

flask-limiter does the bookkeeping (429, Retry-After, X-RateLimit-* headers); the counters
live in the store (SQLite or PostgreSQL), so they hold across processes and machines
without another service to run. Partners get their own limit; anonymous callers share
ANONYMOUS_LIMIT per client address.
"""

from __future__ import annotations

import random
import threading
import time

from flask import Flask, request
from flask_limiter import Limiter
from limits.storage import Storage
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from directory.partners import current_partner

ANONYMOUS_LIMIT = "60 per minute"

INCR = text(
    """
    INSERT INTO rate_limits (key, count, expires_at) VALUES (:key, :amount, :expires)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN rate_limits.expires_at <= :now THEN :amount ELSE rate_limits.count + :amount END,
      expires_at = CASE WHEN rate_limits.expires_at <= :now THEN :expires ELSE rate_limits.expires_at END
    RETURNING count, expires_at
    """
)


class SQLStorage(Storage):
    """A `limits` storage backend on the project's SQL store (fixed windows only)."""

    STORAGE_SCHEME = ["directory+sql"]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, engine: Engine | None = None, **_
    ):
        super().__init__(uri, wrap_exceptions)
        self.engine = engine
        # flask-limiter asks for the count and expiry right after incrementing (for the
        # X-RateLimit headers); answering from the increment saves two queries per request.
        self._last = threading.local()

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self.engine.begin() as conn:
            params = {"key": key, "amount": amount, "expires": now + expiry, "now": now}
            count, expires_at = conn.execute(INCR, params).one()
            if random.random() < 0.01:  # sweep expired windows now and then
                conn.execute(text("DELETE FROM rate_limits WHERE expires_at <= :now"), {"now": now})
        self._last.value = (key, count, expires_at, time.monotonic())
        return count

    def _just_incremented(self, key: str) -> tuple[int, float] | None:
        last = getattr(self._last, "value", None)
        if last and last[0] == key and time.monotonic() - last[3] < 0.5:
            return last[1], last[2]
        return None

    def get(self, key: str) -> int:
        if recent := self._just_incremented(key):
            return recent[0]
        with self.engine.connect() as conn:
            row = conn.execute(
                text("SELECT count FROM rate_limits WHERE key = :key AND expires_at > :now"),
                {"key": key, "now": time.time()},
            ).first()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        if recent := self._just_incremented(key):
            return recent[1]
        with self.engine.connect() as conn:
            row = conn.execute(
                text("SELECT expires_at FROM rate_limits WHERE key = :key"), {"key": key}
            ).first()
        return row[0] if row else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int:
        with self.engine.begin() as conn:
            return conn.execute(text("DELETE FROM rate_limits")).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM rate_limits WHERE key = :key"), {"key": key})


def limit_key() -> str:
    partner = current_partner()
    return f"partner:{partner.id}" if partner else f"anon:{request.remote_addr}"


def limit_value() -> str:
    partner = current_partner()
    return partner.rate_limit if partner else ANONYMOUS_LIMIT


def init_limiter(app: Flask, engine: Engine, blueprint) -> Limiter:
    """Attach a limiter whose counters live in `engine` and limit every route of `blueprint`."""
    limiter = Limiter(
        key_func=limit_key,
        app=app,
        storage_uri="directory+sql://",
        storage_options={"engine": engine},
        strategy="fixed-window",
        headers_enabled=True,
        enabled=app.config.get("RATELIMIT_ENABLED", True),
    )
    limiter.limit(limit_value, key_func=limit_key)(blueprint)
    app.extensions["rate_limits"] = SQLStorage(engine=engine)  # for limits outside the API (logins)
    return limiter
