"""Shared fixtures: one real Elasticsearch node per session, a fresh alias and store per test."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from sqlalchemy import text
from werkzeug.serving import make_server

from directory import create_app
from indexer import index
from indexer.load import load_files
from registry import db, ratelimits
from registry.geocode import CachedGeocoder, make_geocoder
from registry.settings import Settings

# Apps made by tests index changes synchronously and flush counters when a test asks; no background
# threads (outbox, counters) outliving a test or its store.
os.environ.setdefault("DIRECTORY_OUTBOX_WORKER", "false")
os.environ.setdefault("DIRECTORY_COUNTER_WORKER", "false")
# Where the apps under test say they live (directory.safety: absolute URLs are built for it).
PUBLIC_URL = "http://localhost"
os.environ.setdefault("DIRECTORY_PUBLIC_URL", PUBLIC_URL)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def service_url(variable: str, tool: str) -> str:
    """The URL in `variable` if set, else the local server of tools/`tool` (started, or reused)."""
    if os.environ.get(variable):
        return os.environ[variable]
    command = [sys.executable, str(ROOT / "tools" / tool)]
    subprocess.run([*command, "start"], check=True)
    return subprocess.run([*command, "url"], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def es_url() -> str:
    """The node under test: ELASTICSEARCH_URL if given, else the project's local node."""
    return service_url("ELASTICSEARCH_URL", "esnode.py")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis server for the rate limits' Redis counter: TEST_REDIS_URL, else the local one."""
    return service_url("TEST_REDIS_URL", "redisnode.py")


@pytest.fixture(scope="session")
def es(es_url: str) -> Elasticsearch:
    """The tests' own client (not the app's): every URL given, patient timeouts."""
    client = Elasticsearch(es_url.split(","), request_timeout=30)
    yield client
    client.close()


def unique_alias(label: str) -> str:
    return f"test-{label}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def alias(es: Elasticsearch) -> str:
    """A fresh alias name for this test; its indices are deleted afterwards."""
    name = unique_alias("t")
    yield name
    index.delete_alias_and_indices(es, name)


@contextmanager
def fresh_database(tmp: Path):
    """A new, empty store: a SQLite file, or a new database on TEST_DATABASE_URL's server."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp / 'store.sqlite3'}"
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def settings(es_url: str, alias: str, tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        elasticsearch_url=es_url,
        index=alias,
        database_url=database_url,
        geocode_cache=tmp_path / "geocode-cache.json",
        mail_url=f"file://{tmp_path / 'mail'}",
    )


@pytest.fixture
def engine(database_url: str):
    """This test's store, migrated; needs no Elasticsearch node."""
    engine = db.open_store(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def geocoder():
    return CachedGeocoder(make_geocoder("offline"))


@pytest.fixture
def app(settings: Settings):
    return create_app({"SETTINGS": settings, "TESTING": True})


@pytest.fixture
def client(app):
    """A test client of this test's own app (empty store, fresh alias)."""
    return app.test_client()


@pytest.fixture(scope="session")
def fresh_store():
    """`fresh_database(tmp)`: a context manager yielding a new, empty store's URL."""
    return fresh_database


@pytest.fixture(scope="session")
def new_alias():
    """`unique_alias(label)`: a test alias name nobody else uses."""
    return unique_alias


@pytest.fixture(scope="session")
def directory_settings(es_url: str, es: Elasticsearch, geocoder, tmp_path_factory) -> Settings:
    """The whole sample directory loaded once per session, for tests that only read."""
    tmp = tmp_path_factory.mktemp("directory")
    with fresh_database(tmp) as url:
        settings = Settings(
            elasticsearch_url=es_url,
            index=unique_alias("fixtures"),
            database_url=url,
            geocode_cache=tmp / "geocode-cache.json",
            mail_url=f"file://{tmp / 'mail'}",
        )
        engine = db.open_store(settings.database_url)
        report = load_files(
            [FIXTURES / "clinics.ndjson"], engine, es, settings.index, geocoder, progress=False
        )
        assert report.ok, report.rejected[:5]
        yield settings
        engine.dispose()
        index.delete_alias_and_indices(es, settings.index)


@pytest.fixture
def directory_app(directory_settings: Settings):
    app = create_app({"SETTINGS": directory_settings, "TESTING": True})
    ratelimits.clear(app.extensions["store"])  # each test starts with fresh rate-limit windows
    yield app
    app.extensions["limiter"].flush()  # its last hits reach the store now, not in the next test's


@pytest.fixture
def web(directory_app):
    """A test client of the app on the session's sample directory (read-only tests)."""
    return directory_app.test_client()


@pytest.fixture(scope="session")
def articles_indexed(es: Elasticsearch, directory_settings: Settings) -> str:
    """The Learn articles indexed beside the sample directory, once per session; yields their alias."""
    from indexer import articles

    name = directory_settings.articles_index
    articles.index_articles(es, name, articles.load_articles(FIXTURES / "content"))
    yield name
    index.delete_alias_and_indices(es, name)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Map tiles come from the network in production; here they fail fast, and markers must still show.
NO_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


@contextmanager
def serve(app):
    """Serve `app` on a free local port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def serve_app():
    return serve


@pytest.fixture(scope="session")
def no_tiles() -> str:
    return NO_TILES


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The walks bypass the site's Content-Security-Policy: Playwright's own wait_for_function and
# script injection evaluate strings in the page, which the policy (rightly) forbids.
# tests/pages/test_csp_browser.py walks the pages with the policy enforced, as visitors get it.
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}, "bypass_csp": True},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
        "bypass_csp": True,
    },
}


@pytest.fixture(scope="session")
def viewports() -> dict:
    return VIEWPORTS


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots kept for people to look at (CI keeps test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def axe():
    def check(page) -> list[dict]:
        """Serious or critical accessibility violations axe-core finds on the page."""
        # Evaluated through the DevTools protocol: a <script> tag would be (rightly) refused by the
        # site's Content-Security-Policy, which allows no inline script.
        page.evaluate(AXE.read_text())
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    return check
