"""Rate limits shared by every gunicorn worker and app host.

flask-limiter does the bookkeeping (429, Retry-After, X-RateLimit-* headers); the counters
live in the store (SQLite or PostgreSQL, `registry.ratelimits`), so they hold across processes
and machines without another service to run. Partners get their own limit; anonymous callers share
ANONYMOUS_LIMIT per client address, and the whole-store export has ANONYMOUS_EXPORT_LIMIT on top.
The search page, profiles and cost guide pages have PAGE_LIMIT per address. Addresses are the
client's own behind trusted proxies (DIRECTORY_TRUSTED_PROXIES, directory.safety), one counter per
visitor.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, request
from flask_limiter import Limiter
from limits.storage import Storage
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from directory.partners import current_partner
from registry import ratelimits

ANONYMOUS_LIMIT = "60 per minute"
# Per client address (after DIRECTORY_TRUSTED_PROXIES): pages that cost a search or a store read,
# generous for a person paging through results, not for a scraper.
PAGE_LIMIT = "120 per minute"
PAGE_ENDPOINTS = (
    "pages.search_page",
    "pages.profile",
    "costs.index",
    "costs.treatment",
    "costs.state",
    "costs.city",
)
# The export streams the whole store: anonymous callers may try it a few times an hour;
# partners with a key have only their own limit.
ANONYMOUS_EXPORT_LIMIT = "6 per hour"


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
        count, expires_at = ratelimits.increment(self.engine, key, amount, expiry, time.time())
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
        return ratelimits.current(self.engine, key, time.time())

    def get_expiry(self, key: str) -> float:
        if recent := self._just_incremented(key):
            return recent[1]
        end = ratelimits.window_end(self.engine, key)
        return time.time() if end is None else end

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int:
        return ratelimits.clear(self.engine)

    def clear(self, key: str) -> None:
        ratelimits.clear(self.engine, key)


def limit_key() -> str:
    partner = current_partner()
    return f"partner:{partner.id}" if partner else address_key()


def address_key() -> str:
    """The client's address, as corrected for trusted proxies (directory.safety)."""
    return f"anon:{request.remote_addr}"


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
    app.extensions["limiter"] = limiter
    return limiter


def limit_views(app: Flask) -> None:
    """Once every route is registered: PAGE_LIMIT on the costly pages, the export's own limit."""
    limiter, views = app.extensions["limiter"], app.view_functions
    pages = app.config.get("PAGE_LIMIT", PAGE_LIMIT)
    for endpoint in PAGE_ENDPOINTS:
        views[endpoint] = limiter.limit(pages, key_func=address_key)(views[endpoint])
    views["api.Export"] = limiter.limit(
        app.config.get("ANONYMOUS_EXPORT_LIMIT", ANONYMOUS_EXPORT_LIMIT),
        key_func=address_key,
        exempt_when=lambda: current_partner() is not None,
    )(views["api.Export"])
