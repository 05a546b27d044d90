"""The local three-node cluster (`tools/esnode.py --cluster`), shaped like docker-compose.yml's profile.

Every index made here has three shards and one replica, the client is given all three URLs,
and the store is whatever TEST_DATABASE_URL names (`make test-cluster`: PostgreSQL). Tests
kill nodes with SIGKILL; each one starts and ends with all three nodes up and green. What
they measure is printed at the end of the run and kept in test-artifacts/cluster.json.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from indexer import index
from indexer.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
ESNODE = [sys.executable, str(ROOT / "tools" / "esnode.py"), "--cluster"]
SHAPE = {"INDEX_SHARDS": "3", "INDEX_REPLICAS": "1"}
MEASURED: dict[str, dict] = {}


@pytest.fixture(scope="session")
def es_url() -> str:
    """The local cluster's three HTTP URLs, comma-separated; the cluster is started or reused."""
    subprocess.run([*ESNODE, "start"], check=True)
    return subprocess.run([*ESNODE, "url"], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session", autouse=True)
def index_shape():
    """Indices made by these tests, the app and the indexer CLI: three shards, one replica."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SHAPE.items():
            patch.setenv(name, value)
        yield SHAPE


@dataclass
class Cluster:
    """The running cluster as the tests see it: its nodes, SIGKILL for one, restart of the missing."""

    es: Elasticsearch

    def nodes(self) -> dict[str, dict]:
        """Node name -> its id, process id and HTTP URL, for the nodes in the cluster now."""
        found = self.es.nodes.info(metric="process,http")["nodes"]
        return {
            n["name"]: {
                "id": node_id,
                "pid": n["process"]["id"],
                "url": f"http://{n['http']['publish_address']}",
            }
            for node_id, n in found.items()
        }

    def master(self) -> str:
        return self.es.cat.master(format="json")[0]["node"]

    def kill(self, name: str) -> float:
        """SIGKILL the node's process (no shutdown of any kind); returns the monotonic time."""
        os.kill(self.nodes()[name]["pid"], signal.SIGKILL)
        return time.monotonic()

    def seconds_until_nodes(self, count: int, since: float, limit: float = 60) -> float:
        """Poll the cluster until it counts `count` nodes; seconds from `since`."""
        while time.monotonic() - since < limit:
            health = self.es.options(request_timeout=2).cluster.health()
            if health["number_of_nodes"] == count:
                return time.monotonic() - since
            time.sleep(0.05)
        raise AssertionError(f"the cluster did not reach {count} nodes within {limit:.0f}s")

    def health(self) -> dict:
        return self.es.cluster.health().body

    def restart(self) -> float:
        """Start the missing nodes and wait for green; seconds it took."""
        started = time.monotonic()
        subprocess.run([*ESNODE, "start"], check=True)
        return time.monotonic() - started


@pytest.fixture
def cluster(es: Elasticsearch) -> Cluster:
    """The cluster, all three nodes up and green before and after the test."""
    nodes = Cluster(es)
    nodes.restart()
    yield nodes
    nodes.restart()


@pytest.fixture
def measured(request) -> dict:
    """Numbers this test reports (printed at the end of the run, kept in test-artifacts/cluster.json)."""
    return MEASURED.setdefault(request.node.name, {})


def pytest_terminal_summary(terminalreporter):
    if not MEASURED:
        return
    terminalreporter.section("measured on the local three-node cluster")
    for test, numbers in MEASURED.items():
        terminalreporter.write_line(f"{test}:")
        for name, value in numbers.items():
            terminalreporter.write_line(f"    {name}: {value}")
    out = ROOT / "test-artifacts" / "cluster.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(MEASURED, indent=2) + "\n")


def unique_alias(label: str) -> str:
    return f"test-cluster-{label}-{uuid.uuid4().hex[:8]}"


def run_indexer(settings: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m indexer ARGS` as an operator runs it, configured through the environment."""
    env = {
        **os.environ,
        "ELASTICSEARCH_URL": settings.elasticsearch_url,
        "DIRECTORY_INDEX": settings.index,
        "DATABASE_URL": settings.database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "indexer", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Watch:
    """Reads the alias in a loop from a thread: which index it names and how many documents it serves."""

    es: Elasticsearch
    alias: str
    seen: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __enter__(self) -> Watch:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            try:
                names = tuple(index.indices_behind(self.es, self.alias))
                self.seen.append((names, self.es.count(index=self.alias)["count"]))
            except Exception as err:  # noqa: BLE001 - recorded for the test to judge
                self.errors.append(f"{type(err).__name__}: {err}")

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class CliDirectory:
    """The sample directory as `indexer load` and then `indexer rebuild` left it on the cluster."""

    settings: Settings
    load: subprocess.CompletedProcess
    rebuild: subprocess.CompletedProcess
    loaded_index: list[str]
    rebuilt_index: list[str]
    during_rebuild: Watch


@pytest.fixture(scope="session")
def cli_directory(es_url: str, es: Elasticsearch, directory_database: str, index_shape) -> CliDirectory:
    """Fixtures loaded with `python -m indexer load`, then `rebuild` while a reader watches the alias."""
    settings = Settings(
        elasticsearch_url=es_url, index=unique_alias("fixtures"), database_url=directory_database
    )
    load = run_indexer(settings, "load", "--no-progress", str(FIXTURES / "clinics.ndjson"))
    loaded = index.indices_behind(es, settings.index)
    with Watch(es, settings.index) as watch:
        rebuild = run_indexer(settings, "rebuild")
    rebuilt = index.indices_behind(es, settings.index)
    yield CliDirectory(settings, load, rebuild, loaded, rebuilt, watch)
    index.delete_alias_and_indices(es, settings.index)


@pytest.fixture(scope="session")
def directory_settings(cli_directory: CliDirectory) -> Settings:
    """The read-only sample directory of the whole suite is, here, the one the CLI built on the cluster."""
    return cli_directory.settings
