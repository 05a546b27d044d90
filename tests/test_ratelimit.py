"""The limiter's counters (directory/ratelimit.py): several processes sharing one store stay
within the documented bound, exact counting is exact, windows end, and hits reach the store."""

import random
import time

import pytest
from sqlalchemy import select

from directory.ratelimit import Limit, StoreCounter, parse
from registry.models import RateLimit


def inside_a_window(limit: Limit, key: str = "partner:1", margin: float = 10.0) -> float:
    """Now, at least `margin` seconds before the key's window ends (waiting for the next if need be).
    Real time: the counters forget windows that ended by the clock."""
    now = time.time()
    if limit.window_end(key, now) - now < margin:
        time.sleep(limit.window_end(key, now) - now + 0.01)
        now = time.time()
    return now


def admitted(counters: list[StoreCounter], limit: Limit, hits: int, now: float, exact: bool = False) -> int:
    """Hits admitted when `hits` arrive spread at random over the counters ("processes")."""
    rng = random.Random(7)
    return sum(rng.choice(counters).take("partner:1", limit, now, exact)[0] for _ in range(hits))


@pytest.mark.parametrize("spec", ["600 per minute", "60 per minute", "10 per hour"])
def test_four_processes_stay_within_the_documented_bound(engine, spec):
    (limit,) = parse(spec)
    processes = [StoreCounter(engine) for _ in range(4)]
    got = admitted(processes, limit, 3 * limit.amount, inside_a_window(limit))
    batch = limit.batch(1.0)
    assert limit.amount <= got <= limit.amount - 1 + 4 * batch, (got, batch)
    for counter in processes:
        counter.flush()
    with engine.connect() as conn:
        stored = conn.scalar(select(RateLimit.count).where(RateLimit.key == "partner:1"))
    assert stored == got  # every admitted hit reached the store, none twice


def test_exact_counting_admits_the_limit_and_no_more(engine):
    (limit,) = parse("25 per minute")
    processes = [StoreCounter(engine) for _ in range(4)]
    assert admitted(processes, limit, 60, inside_a_window(limit), exact=True) == 25


def test_a_new_window_starts_from_zero(engine):
    (limit,) = parse("3 per minute")
    counter = StoreCounter(engine)
    now = inside_a_window(limit, "k")
    ends = limit.window_end("k", now)
    assert [counter.take("k", limit, now)[0] for _ in range(4)] == [True, True, True, False]
    allowed, count, next_end = counter.take("k", limit, ends + 1)
    assert allowed and count == 1 and next_end == ends + 60


def test_exact_windows_start_at_a_keys_first_hit(engine):
    """Sign-in attempts and the like: "3 a minute" counts from the first attempt, whenever it is."""
    (limit,) = parse("3 per minute")
    counter, start = StoreCounter(engine), 1_000_000.5
    hits = [counter.take("login-ip:x", limit, start + i, exact=True) for i in range(4)]
    assert [h[0] for h in hits] == [True, True, True, False] and {h[2] for h in hits} == {start + 60}
    allowed, count, ends = counter.take("login-ip:x", limit, start + 61, exact=True)
    assert allowed and count == 1 and ends == start + 121


def test_windows_of_different_keys_end_at_different_times():
    (limit,) = parse("100 per hour")
    ends = {limit.window_end(f"anon:203.0.113.{i}", 1e9) for i in range(20)}
    assert len(ends) > 10 and all(1e9 < end <= 1e9 + 3600 for end in ends)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("600 per minute", [Limit(600, 60)]),
        ("3 per 15 minutes", [Limit(3, 900)]),
        ("10/second; 1000 per hour", [Limit(10, 1), Limit(1000, 3600)]),
    ],
)
def test_limits_are_read_as_people_write_them(spec, expected):
    assert list(parse(spec)) == expected


def test_a_limit_nobody_can_read_is_refused():
    with pytest.raises(ValueError):
        parse("lots")
