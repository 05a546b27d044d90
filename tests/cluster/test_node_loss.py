"""Nodes killed with SIGKILL while the directory is in use: searches, a full load, clinic edits."""

from __future__ import annotations

import json
import logging
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory import create_app
from indexer import index
from indexer.load import load_files
from indexer.sync import index_pending
from registry import outbox
from registry.models import Clinic
from tests.clinic.conftest import form_fields, sign_up
from tests.cluster.harness import FIXTURES, ROOT, Watch, popen_indexer, run_indexer

pytestmark = pytest.mark.cluster

SEARCHERS = 8
SEARCH_SECONDS = 24
KILL_AFTER = 6
CLEAN_503_SECONDS = 2.0
APP_OVERHEAD = 1.0  # the app's own share of a search's time, beside Elasticsearch's


def search_paths(es, alias: str, count: int = 24) -> list[str]:
    """API searches around clinics of the directory: radius, sort and a filter vary."""
    rng = random.Random(16)
    hits = es.search(index=alias, size=500, source=["location"])["hits"]["hits"]
    paths = []
    for i in range(count):
        anchor = rng.choice(hits)["_source"]["location"]
        params = {
            "lat": round(anchor["lat"] + rng.uniform(-0.3, 0.3), 4),
            "lon": round(anchor["lon"] + rng.uniform(-0.3, 0.3), 4),
            "radius": rng.choice(["10mi", "30mi", "80mi"]),
            "sort": rng.choice(["distance", "rating"]),
            "limit": 10,
        }
        if i % 3 == 1:
            params["treatment"] = "microneedling"
        paths.append("/api/v1/providers?" + urlencode(params))
    return paths


@dataclass
class Answer:
    path: str
    status: int
    seconds: float
    body: dict
    content_type: str
    retry_after: str | None


def get(base: str, path: str) -> Answer:
    started = time.monotonic()
    try:
        with urlopen(base + path, timeout=60) as resp:
            status, headers, raw = resp.status, resp.headers, resp.read()
    except HTTPError as err:
        status, headers, raw = err.code, err.headers, err.read()
    return Answer(
        path,
        status,
        time.monotonic() - started,
        json.loads(raw),
        headers.get("Content-Type", ""),
        headers.get("Retry-After"),
    )


def found(body: dict) -> tuple[int, list[str]]:
    """What a search answered: its total and the ids of the page, in order."""
    return body["total"], [r["id"] for r in body["results"]]


class Retries(logging.Handler):
    """Counts the client's retries (elastic_transport logs each one)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record):
        if record.getMessage().startswith("Retrying request"):
            self.count += 1


@pytest.mark.parametrize("loss", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "hung"])
def test_searches_during_the_loss_of_a_node_are_answered_or_refused_cleanly(
    loss, cluster, es, directory_settings, serve_app, measured
):
    """A killed node (connections closed) or a hung one (SIGSTOP: connections open, no answers).

    Every search answers as before the loss, or with a clean 503: within 2 s for a killed node,
    within the configured timeout for a hung one, which is also the longest any search may take.
    """
    app = create_app({"SETTINGS": directory_settings, "RATELIMIT_ENABLED": False})
    timeout = directory_settings.elasticsearch_timeout
    slowest_503 = CLEAN_503_SECONDS if loss == signal.SIGKILL else timeout + APP_OVERHEAD
    victim = next(name for name in cluster.nodes() if name != cluster.master())
    answers: list[Answer] = []
    stop = threading.Event()
    retries = Retries()
    logging.getLogger("elastic_transport.transport").addHandler(retries)

    def searcher(base: str, paths: list[str], offset: int) -> None:
        i = offset
        while not stop.is_set():
            answers.append(get(base, paths[i % len(paths)]))
            i += 1

    with serve_app(app) as base:
        paths = search_paths(es, directory_settings.index)
        expected = {path: found(get(base, path).body) for path in paths}
        threads = [threading.Thread(target=searcher, args=(base, paths, n * 3)) for n in range(SEARCHERS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            time.sleep(KILL_AFTER)
            before_kill = len(answers)
            killed_at = cluster.kill(victim, loss)
            detected = cluster.seconds_until_nodes(2, since=killed_at)
            time.sleep(max(0.0, SEARCH_SECONDS - (time.monotonic() - started)))
            health = cluster.health(directory_settings.index)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
            logging.getLogger("elastic_transport.transport").removeHandler(retries)
            if loss == signal.SIGSTOP:  # as a supervisor would: kill the hung process, start it again
                cluster.kill(victim)
    recovery = cluster.restart()

    outcome = Counter()
    for answer in answers:
        if answer.status == 200:
            right = found(answer.body) == expected[answer.path]
            outcome["correct" if right else "WRONG"] += 1
            if not right:
                measured.setdefault("wrong answers", []).append(
                    f"{answer.path}: {found(answer.body)} instead of {expected[answer.path]}"
                )
        elif (
            answer.status == 503
            and answer.content_type == "application/problem+json"
            and answer.retry_after
            and answer.seconds <= slowest_503
        ):
            outcome["clean 503"] += 1
        else:
            outcome[f"OTHER {answer.status} in {answer.seconds:.1f}s"] += 1
    seconds = sorted(a.seconds for a in answers)
    measured.update(
        {
            "lost": f"{victim} (not the master), {loss.name} after {KILL_AFTER}s of at least "
            f"{SEARCH_SECONDS}s, {SEARCHERS} client threads",
            "searches": len(answers),
            "before the loss": before_kill,
            "outcomes": dict(outcome),
            "client retries on another node": retries.count,
            "latency p50 / p99 / max (s)": " / ".join(
                f"{s:.3f}"
                for s in (statistics.median(seconds), seconds[int(len(seconds) * 0.99)], seconds[-1])
            ),
            "node dropped by the cluster after (s)": round(detected, 2),
            "health with the node out": f"{health['status']}, {health['number_of_nodes']} nodes",
            "back to green (s)": round(recovery, 1),
        }
    )
    assert set(outcome) <= {"correct", "clean 503"}, outcome
    assert outcome["correct"] > before_kill, "searches went on after the loss"
    assert seconds[-1] <= timeout + APP_OVERHEAD, f"a search took {seconds[-1]:.1f}s (timeout {timeout}s)"
    assert (health["status"], health["number_of_nodes"]) == ("yellow", 2)
    assert cluster.health(directory_settings.index)["status"] == "green"


FEED_CLINICS = 20_000
BACK_WELL_WITHIN = 90  # seconds; a full load waits up to two minutes for a lost primary (PRIMARY_WAIT)


@pytest.fixture(scope="module")
def big_feed(tmp_path_factory) -> Path:
    """Synthetic clinics, enough for a full load to take a while on the cluster."""
    path = tmp_path_factory.mktemp("feed") / "clinics.ndjson"
    with path.open("w") as out:
        command = ["--count", str(FEED_CLINICS), "--seed", "16", "--reviews", "0", "5"]
        subprocess.run([sys.executable, "tools/synthetic.py", *command], stdout=out, check=True, cwd=ROOT)
    return path


def wait_for(condition, limit: float = 120, step: float = 0.1):
    """Poll until `condition()` returns something true; return it."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(step)
    raise AssertionError(f"gave up after {limit:.0f}s")


@pytest.mark.parametrize("restart", ["at once", "after the load"])
def test_a_full_load_completes_or_fails_cleanly_when_a_node_dies(
    restart, cluster, es, settings, big_feed, measured, tmp_path
):
    alias = settings.index
    assert run_indexer(settings, "load", "--no-progress", str(FIXTURES / "clinics.ndjson")).returncode == 0
    [previous] = index.indices_behind(es, alias)
    before = es.count(index=alias)["count"]
    log = tmp_path / "load.log"
    with Watch(es, alias) as watch, log.open("w") as stderr:
        started = time.monotonic()
        feeds = [str(FIXTURES / "clinics.ndjson"), str(big_feed)]
        load = popen_indexer(settings, "load", "--no-progress", *feeds, stderr=stderr)
        try:
            building = wait_for(
                lambda: next((n for n in es.indices.get(index=f"{alias}-*") if n != previous), None)
            )

            def quarter_loaded():
                if load.poll() is not None:  # ended before a node could be killed: say why
                    raise AssertionError(f"the load ended early: {log.read_text()[-3000:]}")
                stats = es.options(ignore_status=404).indices.stats(index=building, metric="indexing")
                primaries = stats.get("_all", {}).get("primaries", {})
                return primaries.get("indexing", {}).get("index_total", 0) >= FEED_CLINICS // 4

            wait_for(quarter_loaded)
            master = cluster.master()
            primaries = es.cat.shards(index=building, format="json")
            victim = next(s["node"] for s in primaries if s["prirep"] == "p" and s["node"] != master)
            killed_at = cluster.kill(victim)
            restarted = cluster.restart() if restart == "at once" else None
            load.wait(timeout=600)
        finally:
            if load.poll() is None:
                load.kill()
        finished = time.monotonic()
    output = log.read_text()
    recovery = cluster.restart() if restarted is None else restarted
    behind = index.indices_behind(es, alias)
    measured.update(
        {
            "killed": f"{victim} (holds a primary of the new index) {killed_at - started:.1f}s into the load "
            f"of {FEED_CLINICS + before:,} clinics, restarted {restart}",
            "load": f"exit {load.returncode} after {finished - started:.1f}s "
            f"({finished - killed_at:.1f}s after the kill)",
            "restart to green (s)": round(recovery, 1),
            "alias reads during the load": f"{len(watch.seen)} complete, {len(watch.errors)} failed",
        }
    )
    assert "Traceback" not in output, output[-3000:]
    # Whatever happened, a reader only ever found one index behind the alias, and a complete one.
    assert {names for names, _ in watch.seen} <= {(previous,), (building,)}
    assert {count for _, count in watch.seen} <= {before, before + FEED_CLINICS}
    if load.returncode == 0:
        assert behind == [building] and es.count(index=alias)["count"] == before + FEED_CLINICS
        assert not es.indices.exists(index=previous)
    else:
        assert load.returncode == 2, output[-3000:]
        assert "error: Elasticsearch failed during load" in output
        assert behind == [previous] and es.count(index=alias)["count"] == before
        assert list(es.indices.get(index=f"{alias}-*")) == [previous], "the unfinished index is deleted"
    if restart == "at once" and restarted < BACK_WELL_WITHIN:
        assert load.returncode == 0, "the node was back well within the wait for a lost primary"
    if restart == "after the load":
        assert load.returncode == 2


EDITED_CLINICS = 25  # two edits each: 50 saves


def test_clinic_edits_saved_while_the_master_is_down_all_reach_the_index(
    cluster, es, settings, engine, geocoder, measured, tmp_path
):
    shape = {"shards": settings.index_shards, "replicas": settings.index_replicas}
    load_files([FIXTURES / "clinics.ndjson"], engine, es, settings.index, geocoder, progress=False, **shape)
    clinics = es.count(index=settings.index)["count"]
    # Losing a node before the new index's replicas are copied would be a double fault.
    es.options(request_timeout=90).cluster.health(
        index=settings.index, wait_for_status="green", timeout="60s"
    )
    app = create_app({"SETTINGS": settings, "SECRET_KEY": "cluster-test", "PHOTO_DIR": str(tmp_path)})
    admin = sign_up(app, None, "admin@directory.test")
    with Session(engine) as session:
        ids = session.scalars(select(Clinic.id).order_by(Clinic.id).limit(EDITED_CLINICS)).all()
    victim = cluster.master()
    killed_at = cluster.kill(victim)
    saves, messages = [], Counter()
    for round_ in (1, 2):
        for clinic_id in ids:
            form = admin.get(f"/clinic/listing?clinic={clinic_id}").get_data(as_text=True)
            data = {**form_fields(form), "name": f"Edited {round_} {clinic_id}", "action": "save"}
            started = time.monotonic()
            resp = admin.post(f"/clinic/listing?clinic={clinic_id}", data=data)
            saves.append(time.monotonic() - started)
            assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
            page = admin.get(resp.headers["Location"]).get_data(as_text=True)
            messages["indexed at once" if "updated in search" in page else "queued"] += 1
    saved_at = time.monotonic()
    queued = outbox.pending(engine)
    client = app.extensions["elasticsearch"]
    wait_for(
        lambda: index_pending(engine, client, settings.index).error is None and not outbox.pending(engine)
    )
    drained = time.monotonic() - saved_at
    down = es.cluster.health(index=settings.index)
    expected = {clinic_id: f"Edited 2 {clinic_id}" for clinic_id in ids}

    def names_in_index(**options) -> dict[str, str]:
        hits = es.search(
            index=settings.index, query={"ids": {"values": ids}}, size=100, source=["name"], **options
        )
        return {hit["_id"]: hit["_source"]["name"] for hit in hits["hits"]["hits"]}

    with_node_down = names_in_index()
    recovery = cluster.restart()
    # Every copy of every shard answers alike, any on the restarted node included: none missed an edit.
    node_ids = {node: info["id"] for node, info in cluster.nodes().items()}
    [name] = index.indices_behind(es, settings.index)

    def settled_copies():
        """Shard copies once none is moving (a relocating copy's node reads "es01 -> ... es02")."""
        shards = es.cat.shards(index=name, format="json")
        if all(c["state"] == "STARTED" and c["node"] in node_ids for c in shards):
            return [(int(c["shard"]), c["node"]) for c in shards]
        return None

    copies = wait_for(settled_copies, limit=300, step=1)
    by_copy = {
        (shard, node): names_in_index(preference=f"_shards:{shard}|_only_nodes:{node_ids[node]}")
        for shard, node in copies
    }
    measured.update(
        {
            "killed": f"{victim} (the elected master), then {2 * EDITED_CLINICS} saves by an administrator",
            "saves": f"{len(saves)}: {dict(messages)}; slowest {max(saves):.1f}s",
            "queued after the saves": queued,
            "outbox empty (s after the last save)": round(drained, 1),
            "health with the node down": f"{down['status']}, {down['number_of_nodes']} nodes",
            "restart to green (s)": round(recovery, 1),
            "shard copies checked": f"{len(copies)}, {sum(node == victim for _, node in copies)} of them "
            f"on the restarted {victim}",
        }
    )
    assert with_node_down == expected
    assert {i: n for found in by_copy.values() for i, n in found.items()} == expected
    first = {}
    for shard, node in copies:
        assert by_copy[shard, node] == first.setdefault(shard, by_copy[shard, node]), (
            f"shard {shard} on {node}"
        )
    assert es.count(index=settings.index)["count"] == clinics, "no listing lost or duplicated"
    assert outbox.pending(engine) == 0
    assert killed_at < saved_at
