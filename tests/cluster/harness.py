"""What the cluster tests operate: the local cluster's nodes, the indexer CLI, a reader of the alias."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from elasticsearch import Elasticsearch

from indexer import index
from registry.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
ESNODE = [sys.executable, str(ROOT / "tools" / "esnode.py"), "--cluster"]


@dataclass
class Cluster:
    """The running cluster as the tests see it: its nodes, SIGKILL for one, restart of the missing."""

    es: Elasticsearch
    signalled: dict[str, int] = field(default_factory=dict)  # node name -> pid

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

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> float:
        """Send the node's process `sig`: SIGKILL (no shutdown of any kind) or SIGSTOP (it hangs,
        its connections stay open); returns the monotonic time."""
        if name not in self.signalled:  # a stopped node no longer answers for its process id
            self.signalled[name] = self.nodes()[name]["pid"]
        os.kill(self.signalled[name], sig)
        return time.monotonic()

    def seconds_until_nodes(self, count: int, since: float, limit: float = 90) -> float:
        """Poll the cluster until it counts `count` nodes; seconds from `since`."""
        while time.monotonic() - since < limit:
            if self.health()["number_of_nodes"] == count:
                return time.monotonic() - since
            time.sleep(0.05)
        raise AssertionError(f"the cluster did not reach {count} nodes within {limit:.0f}s")

    def health(self, index: str | None = None) -> dict:
        """Health of the cluster, or of `index` only, from whichever node answers within 2 s (one
        may hang). A test judges its own index: other tests' indices may have no replica."""
        patient = self.es.options(request_timeout=2, retry_on_timeout=True, max_retries=5)
        return patient.cluster.health(index=index).body

    def restart(self) -> float:
        """Start the missing nodes and wait for green; seconds it took."""
        started = time.monotonic()
        subprocess.run([*ESNODE, "start"], check=True)
        self.signalled.clear()
        return time.monotonic() - started


def indexer_command(settings: Settings, *args: str) -> dict:
    """`python -m indexer ARGS` as an operator runs it, configured through the environment."""
    env = {
        **os.environ,
        "ELASTICSEARCH_URL": settings.elasticsearch_url,
        "DIRECTORY_INDEX": settings.index,
        "DATABASE_URL": settings.database_url,
        "INDEX_SHARDS": str(settings.index_shards),
        "INDEX_REPLICAS": str(settings.index_replicas),
    }
    return {"args": [sys.executable, "-m", "indexer", *args], "env": env, "cwd": ROOT}


def run_indexer(settings: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(**indexer_command(settings, *args), capture_output=True, text=True, timeout=timeout)


def popen_indexer(settings: Settings, *args: str, stderr) -> subprocess.Popen:
    """The indexer started in the background, its messages written to `stderr` (a file)."""
    return subprocess.Popen(**indexer_command(settings, *args), stdout=subprocess.DEVNULL, stderr=stderr)


@dataclass
class Watch:
    """Reads the alias in a loop from a thread: which index it names and how many documents it serves.

    The two reads may reach nodes that apply an alias swap a moment apart, so a pair tells which
    indices and which counts readers saw, not which count went with which index. A count that
    some shards failed to answer (a node just died) says nothing about the alias: it goes to
    `errors`, like a request that failed.
    """

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
                counted = self.es.count(index=self.alias)
                if counted["_shards"]["failed"]:
                    self.errors.append(f"partial count: {counted['_shards']}")
                else:
                    self.seen.append((names, counted["count"]))
            except Exception as err:  # noqa: BLE001 - recorded for the test to judge
                self.errors.append(f"{type(err).__name__}: {err}")

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
