"""Rate limits: one lean limiter for the partner API, anonymous callers and the web's own limits.

Fixed windows, cut the same way by every process and host (a key's windows start at a fixed
offset within the period, so keys do not all reset at the same second). Two counters behind one
interface, `Limiter.hit(limits, key) -> Decision`:

- **In memory, written to the store in batches** (the default): a request only touches the
  process's memory; a background thread adds each key's new hits to the store (SQLite or
  PostgreSQL, `registry.ratelimits`) every FLUSH_SECONDS and reads back every process's count.
  No request writes to the database, except when one process has admitted a whole flush
  interval's share of a limit since its last write (a client going faster than its limit
  allows): then that request writes first. So a process never holds more than
  `batch = max(1, ceil(limit × FLUSH_SECONDS / window))` hits the others cannot see, and a limit
  of L hits per window lets through at most **L - 1 + P × batch** hits in a window, P being the
  app processes sharing the store (gunicorn workers on every host): with 4 workers and 1 s,
  600 per minute admits at most 639 (6.5% over), 60 per minute at most 63.
- **Redis** (`REDIS_URL` set): every hit is one INCR of the window's key in Redis, exact across
  hosts, at the price of a round trip per request.

`exact=True` counts every hit in the shared counter at once (a write per hit, exact limits, a
window starting at the key's first hit): for the web's own limits on rare actions (sign-in
attempts, reset emails, reports, the anonymous export), where a few extra guesses matter more
than a write, and on the pages that cost a search or a store read anyway (PAGE_LIMIT).

The API's limits: each partner key has its own (`flask partners create --rate-limit`), anonymous
callers ANONYMOUS_LIMIT per client address. Every API response carries the limit that is
closest to running out as the IETF draft's `RateLimit-Policy` and `RateLimit` fields (draft-ietf-
httpapi-ratelimit-headers) and as the older `X-RateLimit-Limit`/`-Remaining`/`-Reset` (reset as
Unix time); over the limit: 429 with `Retry-After`. `RATELIMIT_ENABLED=False` switches the API's
limits off (tests, answers.py). The search page and profiles have PAGE_LIMIT per client address,
the whole-store export ANONYMOUS_EXPORT_LIMIT per address on top for callers without a key.
Addresses are the client's own behind trusted proxies (DIRECTORY_TRUSTED_PROXIES,
directory.safety), one counter per visitor.
"""

from __future__ import annotations

import atexit
import functools
import logging
import math
import os
import threading
import time
import zlib
from dataclasses import dataclass
from functools import lru_cache

import limits
from flask import Flask, Response, current_app, g, request
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

from directory.partners import current_partner
from directory.problems import problem
from registry import ratelimits
from registry.models import Partner

log = logging.getLogger(__name__)

ANONYMOUS_LIMIT = "60 per minute"
# Per client address: pages that cost a search or a store read, generous for a person paging
# through results, not for a scraper.
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
FLUSH_SECONDS = 1.0


@dataclass(frozen=True)
class Limit:
    amount: int
    seconds: int

    def batch(self, interval: float) -> int:
        """Hits one process may admit between two writes: the limit's share of one interval."""
        return max(1, math.ceil(self.amount * interval / self.seconds))

    def window_end(self, key: str, now: float) -> float:
        """The end of the window `now` falls in; each key's windows start at their own offset."""
        offset = zlib.crc32(key.encode()) % self.seconds
        return (now - offset) // self.seconds * self.seconds + offset + self.seconds


@lru_cache(maxsize=4096)
def parse(text: str) -> tuple[Limit, ...]:
    """'600 per minute', '10/second; 1000 per hour' -> the limits; ValueError when unreadable."""
    return tuple(Limit(item.amount, item.get_expiry()) for item in limits.parse_many(text))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    name: str
    limit: Limit
    remaining: int
    ends: float  # Unix time

    def retry_after(self) -> int:
        return max(1, math.ceil(self.ends - time.time()))

    def headers(self) -> dict[str, str]:
        reset = max(0, math.ceil(self.ends - time.time()))
        amount, remaining = self.limit.amount, self.remaining
        return {
            "RateLimit-Policy": f'"{self.name}";q={amount};w={self.limit.seconds}',
            "RateLimit": f'"{self.name}";r={remaining};t={reset}',
            "X-RateLimit-Limit": str(amount),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(self.ends)),
        }


@dataclass
class _Window:
    ends: float
    shared: int = 0  # every process's hits, as the store counted them at this process's last write
    pending: int = 0  # this process's hits being written now
    local: int = 0  # this process's hits since

    @property
    def count(self) -> int:
        return self.shared + self.pending + self.local


class StoreCounter:
    """Hits counted in memory and added to the store every `interval` by a background thread
    (see the module docstring for the bound this keeps)."""

    def __init__(self, engine: Engine, interval: float = FLUSH_SECONDS) -> None:
        self.engine, self.interval = engine, interval
        self.windows: dict[str, _Window] = {}
        self.lock = threading.Lock()  # guards windows and flusher_pid
        self.writing = threading.Lock()  # one write to the store at a time
        self.flusher_pid: int | None = None  # the process whose flush thread is running
        self.exit_hook_pid: int | None = None
        self.failed_at = 0.0  # when a write last failed and was logged

    def take(self, key: str, limit: Limit, now: float, exact: bool = False) -> tuple[bool, int, float]:
        """Count one hit if `limit` allows it: (allowed, hits in the window, window end)."""
        if exact:
            count, ends = ratelimits.count(self.engine, key, limit.seconds, now)
            return count <= limit.amount, count, ends
        ends = limit.window_end(key, now)
        with self.lock:
            window = self._window(key, ends)
            if window.count < limit.amount and window.local < limit.batch(self.interval):
                return self._admit(window, ends)
            if window.count >= limit.amount:
                return False, window.count, ends
        # This process admitted its share of an interval since its last write: write first.
        self.flush(only=key)
        with self.lock:
            window = self._window(key, ends)
            if window.count >= limit.amount:
                return False, window.count, ends
            return self._admit(window, ends)

    def _window(self, key: str, ends: float) -> _Window:
        window = self.windows.get(key)
        if window is None or window.ends != ends:
            window = self.windows[key] = _Window(ends)
        return window

    def _admit(self, window: _Window, ends: float) -> tuple[bool, int, float]:
        window.local += 1
        self._wake_flusher()
        return True, window.count, ends

    def _wake_flusher(self) -> None:
        """Start this process's flush thread if it is not running (called with the lock held)."""
        pid = os.getpid()
        if self.flusher_pid == pid:
            return
        self.flusher_pid = pid
        threading.Thread(target=self._run, name="rate-limit flush", daemon=True).start()
        if self.exit_hook_pid != pid:  # hits of the last interval still reach the store
            self.exit_hook_pid = pid
            atexit.register(self.flush)

    def _run(self) -> None:
        """Write every interval while there is something to write, then stop until the next hit."""
        while True:
            time.sleep(self.interval)
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the thread must survive; hits stay counted
                log.warning("rate-limit flush failed", exc_info=True)
            with self.lock:
                if not any(w.local for w in self.windows.values()):
                    self.flusher_pid = None
                    return

    def flush(self, only: str | None = None) -> None:
        """Add this process's new hits to the store (one transaction) and learn every process's
        counts; windows that ended are forgotten."""
        now = time.time()
        with self.writing:
            with self.lock:
                batch = []
                for key, window in list(self.windows.items()):
                    if window.ends <= now:
                        del self.windows[key]
                    elif window.local and (only is None or key == only):
                        window.pending, window.local = window.local, 0
                        batch.append((key, window.ends, window.pending))
            if not batch:
                return
            try:
                counts = ratelimits.add(self.engine, batch, now)
                self.failed_at = 0.0
            except SQLAlchemyError:
                # Kept for the next try while their window lasts; said once a minute.
                if now - self.failed_at > 60:
                    log.warning("rate-limit counts could not be written to the store", exc_info=True)
                    self.failed_at = now
                counts = None
            with self.lock:
                for key, ends, _ in batch:
                    window = self.windows.get(key)
                    if window is None or window.ends != ends:
                        continue
                    if counts is None:
                        window.local += window.pending
                    elif key in counts:
                        window.shared = counts[key]
                    window.pending = 0


REDIS_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return n
"""


class RedisCounter:
    """Exact counts in Redis: one INCR of the window's own key per hit (it expires with the window)."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.increment = self.client.register_script(REDIS_SCRIPT)
        self.errors = redis.RedisError
        self.warned = 0.0

    def take(self, key: str, limit: Limit, now: float, exact: bool = False) -> tuple[bool, int, float]:
        ends = limit.window_end(key, now)
        try:
            count = int(self.increment(keys=[f"ratelimit:{key}:{ends:.0f}"], args=[int(ends * 1000) + 1000]))
        except self.errors:
            # Redis unreachable: limits are not worth refusing service for. Said once a minute.
            if now - self.warned > 60:
                self.warned = now
                log.warning("rate limits are not counted: Redis is unreachable", exc_info=True)
            return True, 0, ends
        return count <= limit.amount, count, ends


class Limiter:
    """The one limiter: `hit` counts a hit of `key` against each limit and decides."""

    def __init__(self, counter: StoreCounter | RedisCounter) -> None:
        self.counter = counter

    def flush(self) -> None:
        """Write the hits counted in memory now (Redis counts each hit at once)."""
        if isinstance(self.counter, StoreCounter):
            self.counter.flush()

    def hit(self, spec: str, key: str, name: str = "default", exact: bool = False) -> Decision:
        """Allowed when every limit of `spec` is; the decision names the closest to running out."""
        now = time.time()
        closest = None
        for limit in parse(spec):
            allowed, count, ends = self.counter.take(
                f"{key}@{limit.amount}/{limit.seconds}", limit, now, exact
            )
            decision = Decision(allowed, name, limit, max(0, limit.amount - count), ends)
            if not allowed:
                return decision
            if closest is None or decision.remaining < closest.remaining:
                closest = decision
        return closest


def init_app(app: Flask, engine: Engine, redis_url: str | None) -> None:
    if redis_url:
        counter = RedisCounter(redis_url)
    else:
        counter = StoreCounter(engine, app.config.get("RATELIMIT_FLUSH_SECONDS", FLUSH_SECONDS))
    app.extensions["limiter"] = Limiter(counter)
    app.after_request(add_headers)


def address_key() -> str:
    """The client's address, as corrected for trusted proxies (directory.safety)."""
    return f"anon:{request.remote_addr}"


def allowed(spec: str, scope: str, who: str) -> bool:
    """The web's own limits on rare actions (sign-in, reset, reports): counted exactly."""
    return current_app.extensions["limiter"].hit(spec, f"{scope}:{who}", exact=True).allowed


def refusal(decision: Decision) -> str:
    return (
        f"Rate limit of {decision.limit.amount} requests per {decision.limit.seconds} seconds "
        f"reached; try again in {decision.retry_after()} seconds."
    )


def check_api_limit(partner: Partner | None) -> Response | None:
    """Count this API request against its partner's limit, or its address's; the 429 when over."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    limiter: Limiter = current_app.extensions["limiter"]
    if partner is not None:
        decision = limiter.hit(partner.rate_limit, f"partner:{partner.id}", "partner")
    else:
        decision = limiter.hit(ANONYMOUS_LIMIT, address_key(), "anonymous")
    g.rate_limit = decision
    if decision.allowed:
        return None
    return problem(429, "Too Many Requests", refusal(decision))


def limit_views(app: Flask) -> None:
    """Once every route is registered: PAGE_LIMIT on the costly pages, the export's own limit."""
    views = app.view_functions
    pages = app.config.get("PAGE_LIMIT", PAGE_LIMIT)
    for endpoint in PAGE_ENDPOINTS:
        views[endpoint] = _per_address(views[endpoint], endpoint, lambda: pages)
    export = app.config.get("ANONYMOUS_EXPORT_LIMIT", ANONYMOUS_EXPORT_LIMIT)
    views["api.Export"] = _per_address(
        views["api.Export"], "export", lambda: None if current_partner() is not None else export
    )


def _per_address(view, name: str, spec_of):
    """`view` behind a limit per client address (`spec_of()`, None for none), counted exactly; over
    it, 429 as a page or a problem (directory.problems). The response names the limit closest to
    running out, this one or the API's."""

    @functools.wraps(view)
    def limited(*args, **kwargs):
        spec = spec_of()
        if spec is not None and current_app.config.get("RATELIMIT_ENABLED", True):
            limiter: Limiter = current_app.extensions["limiter"]
            decision = limiter.hit(spec, f"{name}:{address_key()}", name, exact=True)
            earlier = g.get("rate_limit")
            if not decision.allowed or earlier is None or decision.remaining < earlier.remaining:
                g.rate_limit = decision
            if not decision.allowed:
                raise TooManyRequests(refusal(decision))
        return view(*args, **kwargs)

    return limited


def add_headers(response: Response) -> Response:
    """The limit this request counted against, on the way out; over it, Retry-After too."""
    decision = g.get("rate_limit")
    if decision is not None:
        response.headers.update(decision.headers())
        if not decision.allowed:
            response.headers["Retry-After"] = str(decision.retry_after())
    return response
