"""API rate limits under real conditions: a search writes nothing to the store, and a limit
holds across four gunicorn workers within the documented bound (exactly with Redis)."""

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, select

from directory import create_app
from directory.ratelimit import parse
from registry import partners
from registry.models import Partner, RateLimit

ROOT = Path(__file__).resolve().parents[2]
SEARCHES = [
    "/api/v1/providers?location=Charlotte%2C+NC",
    "/api/v1/providers?lat=35.2271&lon=-80.8431&radius=50mi&treatment=microneedling",
    "/api/v1/providers?q=botox+near+tampa",
    "/api/v1/providers?bbox=-81,35,-80,36&sort=rating",
    "/api/v1/suggest?q=micro",
]


@contextmanager
def statements_of_this_thread(engine):
    """SQL statements sent by the calling thread (the request's), not by background threads."""
    seen: list[str] = []
    me = threading.get_ident()

    def record(conn, cursor, statement, *args):
        if threading.get_ident() == me:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_search_writes_nothing_to_the_store(directory_app):
    engine = directory_app.extensions["store"]
    headers = {"X-API-Key": partners.create(engine, "quiet", "600 per minute", [])}
    client = directory_app.test_client()
    assert client.get(SEARCHES[0], headers=headers).status_code == 200  # the key is looked up once
    with statements_of_this_thread(engine) as statements:
        for url in SEARCHES:
            resp = client.get(url, headers=headers)
            assert resp.status_code == 200, resp.get_data(as_text=True)
            assert resp.headers["RateLimit"]
        for i, url in enumerate(SEARCHES):  # anonymous callers, one search each
            resp = client.get(url, environ_base={"REMOTE_ADDR": f"198.51.100.{i}"})
            assert resp.status_code == 200 and resp.headers["RateLimit"]
    assert statements == []
    # The hits reach the store all the same (within a second by the flush thread; forced here).
    directory_app.extensions["limiter"].flush()
    with engine.connect() as conn:
        counts = dict(conn.execute(select(RateLimit.key, RateLimit.count)).all())
    assert [n for key, n in counts.items() if key.startswith("partner:")] == [1 + len(SEARCHES)]
    assert sum(n for key, n in counts.items() if key.startswith("anon:198.51.100.")) == len(SEARCHES)


@contextmanager
def gunicorn(settings, **env):
    """The app under the project's gunicorn.conf.py with four sync workers."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "directory:create_app()"],
        cwd=ROOT,
        env={
            **os.environ,
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "4",
            "ACCESS_LOG": "0",
            "ELASTICSEARCH_URL": settings.elasticsearch_url,
            "DIRECTORY_INDEX": settings.index,
            "DATABASE_URL": settings.database_url,
            "GEOCODE_CACHE": str(settings.geocode_cache),
            "DIRECTORY_SECRET_KEY": "rate-limit-test",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not come up"
                time.sleep(0.3)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        while len(children.read_text().split()) < 4:
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def status(url: str, key: str) -> int:
    request = urllib.request.Request(url, headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        if err.code == 429:
            assert int(err.headers["Retry-After"]) > 0 and err.headers["RateLimit"]
        return err.code


@pytest.mark.parametrize("counter", ["store", "redis"])
def test_a_limit_holds_across_four_gunicorn_workers(directory_settings, request, counter):
    spec = "120 per minute"
    (limit,) = parse(spec)
    env = {}
    if counter == "redis":
        import redis

        env["REDIS_URL"] = request.getfixturevalue("redis_url")
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    engine = create_app({"SETTINGS": directory_settings}).extensions["store"]
    key = partners.create(engine, f"busy-{counter}", spec, [])
    with engine.connect() as conn:
        partner_id = conn.scalar(select(Partner.id).where(Partner.name == f"busy-{counter}"))
    with gunicorn(directory_settings, **env) as base:
        # All requests in one window: wait for the next one if this one ends soon.
        window_key = f"partner:{partner_id}@{limit.amount}/{limit.seconds}"
        left = limit.window_end(window_key, time.time()) - time.time()
        if left < 30:
            time.sleep(left + 0.1)
        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(lambda _: status(f"{base}/api/v1/suggest?q=ch", key), range(360)))
    admitted = codes.count(200)
    assert codes.count(429) == len(codes) - admitted
    if counter == "redis":
        assert admitted == limit.amount
    else:
        # The documented bound: L - 1 + processes x batch, batch = the limit's share of 1 s.
        assert limit.amount <= admitted <= limit.amount - 1 + 4 * limit.batch(1.0), admitted
