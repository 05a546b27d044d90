"""Nodes killed with SIGKILL while the directory is in use: searches, a full load, clinic edits."""

from __future__ import annotations

import json
import logging
import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from directory import create_app

pytestmark = pytest.mark.cluster

SEARCHERS = 8
SEARCH_SECONDS = 24
KILL_AFTER = 6
CLEAN_503_SECONDS = 2.0


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


def test_searches_during_the_loss_of_a_node_are_answered_or_refused_cleanly(
    cluster, es, directory_settings, serve_app, measured
):
    app = create_app({"SETTINGS": directory_settings, "RATELIMIT_ENABLED": False})
    timeout = directory_settings.elasticsearch_timeout
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
        time.sleep(KILL_AFTER)
        before_kill = len(answers)
        killed_at = cluster.kill(victim)
        detected = cluster.seconds_until_nodes(2, since=killed_at)
        time.sleep(max(0.0, SEARCH_SECONDS - (time.monotonic() - started)))
        stop.set()
        for thread in threads:
            thread.join()
    logging.getLogger("elastic_transport.transport").removeHandler(retries)
    health = es.cluster.health()
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
            and answer.seconds <= CLEAN_503_SECONDS
        ):
            outcome["clean 503"] += 1
        else:
            outcome[f"OTHER {answer.status} in {answer.seconds:.1f}s"] += 1
    seconds = sorted(a.seconds for a in answers)
    measured.update(
        {
            "killed": f"{victim} (not the master), SIGKILL after {KILL_AFTER}s of {SEARCH_SECONDS}s, "
            f"{SEARCHERS} client threads",
            "searches": len(answers),
            "before the kill": before_kill,
            "outcomes": dict(outcome),
            "client retries on another node": retries.count,
            "latency p50 / p99 / max (s)": " / ".join(
                f"{s:.3f}"
                for s in (statistics.median(seconds), seconds[int(len(seconds) * 0.99)], seconds[-1])
            ),
            "node loss detected by the cluster (s)": round(detected, 2),
            "health with the node down": f"{health['status']}, {health['number_of_nodes']} nodes",
            "restart to green (s)": round(recovery, 1),
        }
    )
    assert set(outcome) <= {"correct", "clean 503"}, outcome
    assert outcome["correct"] > before_kill, "searches went on after the kill"
    assert seconds[-1] <= timeout, f"a search took {seconds[-1]:.1f}s (the timeout is {timeout}s)"
    assert (health["status"], health["number_of_nodes"]) == ("yellow", 2)
    assert cluster.health()["status"] == "green"
