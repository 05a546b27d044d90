"""The local three-node cluster (`tools/esnode.py --cluster`), shaped like docker-compose.yml's profile.

Every index made here has three shards and one replica, the client is given all three URLs,
and the store is whatever TEST_DATABASE_URL names (`make test-cluster`: PostgreSQL). Tests
kill nodes with SIGKILL; each one starts and ends with all three nodes up and green. What
they measure is printed at the end of the run and kept in test-artifacts/cluster.json.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, replace

import pytest
from elasticsearch import Elasticsearch

from indexer import index
from registry.settings import Settings
from tests.cluster.harness import ESNODE, FIXTURES, ROOT, Cluster, Watch, run_indexer

SHAPE = {"index_shards": 3, "index_replicas": 1}
MEASURED: dict[str, dict] = {}


@pytest.fixture(scope="session")
def es_url() -> str:
    """The local cluster's three HTTP URLs, comma-separated; the cluster is started or reused."""
    subprocess.run([*ESNODE, "start"], check=True)
    return subprocess.run([*ESNODE, "url"], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A test's own settings, for indices of three shards and one replica."""
    return replace(settings, **SHAPE)


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
def cli_directory(es_url: str, es: Elasticsearch, fresh_store, new_alias, tmp_path_factory) -> CliDirectory:
    """Fixtures loaded with `python -m indexer load`, then `rebuild` while a reader watches the alias."""
    tmp = tmp_path_factory.mktemp("cluster-directory")
    with fresh_store(tmp) as url:
        settings = Settings(
            elasticsearch_url=es_url,
            index=new_alias("cluster"),
            database_url=url,
            mail_url=f"file://{tmp / 'mail'}",
            **SHAPE,
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
