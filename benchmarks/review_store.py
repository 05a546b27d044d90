"""`make bench` (reviews): what publishing a review and paging a clinic's reviews cost the store,
with many clinics and many reviews in PostgreSQL.

    python benchmarks/review_store.py [--clinics 100000] [--reviews 2000000] [--samples 300]
    python benchmarks/review_store.py --clinics 1000000 --reviews 20000000   # the issue's size

Builds (once per size and seed, then reused) a PostgreSQL database on the local test server
(`tools/pgnode.py`, or --database-url) holding `--clinics` synthetic listings and about
`--reviews` reviews (`tools/synthetic.py`: the first clinic has 10,000, the others a geometric
spread; 80% from feeds, 15% verified visits, 5% confirmed reviewers, a few held or removed),
loaded the way a bulk load should be: COPY with the reviews' secondary indexes and constraints
dropped, then rebuilt, then ANALYZE. Then it times, as the web app calls them (a session per
call, through the registry's own functions):

- publish: `consumer_reviews.submit` (store the unconfirmed review and its link) and
  `consumer_reviews.confirm` (the automatic checks' evidence queries, the decision, the row, the
  incremental aggregates, the outbox row, the edit link: one transaction), on random clinics and
  on the busiest one;
- page: `reviews.after` (the API's keyset page of 20) in each order, first and deep pages, and
  `reviews.page` (the profile's numbered pages), on random clinics and on the busiest one;
- aggregates: `listings.get_many` for one listing (what indexing a listing reads).

Results: a Markdown table printed and written to benchmarks/results/reviews-<time>.md and
reviews-latest.md (raw numbers in .json beside them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import consumer_reviews, listings, reviews  # noqa: E402
from registry.consumer_reviews import Origin  # noqa: E402
from registry.db import open_store  # noqa: E402
from tools.synthetic import REVIEW_COLUMNS, TEXTS, generate, review_store  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SEED = 20261101
T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python benchmarks/review_store.py", description=__doc__.splitlines()[0])
    p.add_argument("--clinics", type=int, default=100_000, help="listings (default 100,000)")
    p.add_argument("--reviews", type=int, default=2_000_000, help="reviews in all, about (default 2,000,000)")
    p.add_argument("--heavy", type=int, default=10_000, help="reviews of the busiest clinic (default 10,000)")
    p.add_argument("--samples", type=int, default=300, help="timed calls per measure (default 300)")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--database-url", help="a PostgreSQL server (default: the local test server, started)")
    p.add_argument("--fresh", action="store_true", help="rebuild the database even if it exists")
    args = p.parse_args(argv)
    if args.clinics < 2 or args.reviews < args.heavy:
        p.error("need at least 2 clinics and --reviews >= --heavy")
    return args


# --- the data -----------------------------------------------------------------------------------------


def server_url(args) -> str:
    if args.database_url:
        return args.database_url
    tool = [sys.executable, str(ROOT / "tools" / "pgnode.py")]
    subprocess.run([*tool, "start"], check=True)
    return subprocess.run([*tool, "url"], check=True, capture_output=True, text=True).stdout.strip()


def _plain(url) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database(args) -> tuple[str, bool]:
    """The bench database's URL, and whether it must be loaded: new, --fresh, or a load that did
    not finish (the last step of a load creates the table bench_loaded)."""
    server = make_url(server_url(args))
    name = f"bench_reviews_{args.clinics}_{args.reviews}_{args.heavy}_{args.seed}"
    url = server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_plain(server), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if exists and not args.fresh:
        with psycopg.connect(_plain(url)) as conn:
            if conn.execute("SELECT to_regclass('bench_loaded')").fetchone()[0]:
                return url, False
    with psycopg.connect(_plain(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url, True


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy(conn, table: str, columns: tuple[str, ...], rows, chunk: int = 20_000) -> int:
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        lines = []
        for row in rows:
            lines.append("\t".join(map(_copy_text, row)))
            n += 1
            if len(lines) == chunk:
                copy.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            copy.write("\n".join(lines) + "\n")
    return n


def load(url: str, args) -> dict:
    """Listings, reviews and their aggregates, bulk-loaded (see the module's docstring)."""
    open_store(url).dispose()  # the schema, by the project's own migrations
    took = {}
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        rebuild = (
            conn.execute(
                "SELECT 'ALTER TABLE reviews ADD CONSTRAINT ' || quote_ident(conname) || ' '"
                " || pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = 'reviews'::regclass AND contype IN ('u', 'f')"
            ).fetchall()
            + conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'reviews' AND indexname LIKE 'ix_%'"
            ).fetchall()
        )
        for (name,) in conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'reviews'::regclass AND contype IN ('u', 'f')"
        ).fetchall():
            conn.execute(f"ALTER TABLE reviews DROP CONSTRAINT {name}")
        for (name,) in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'reviews' AND indexname LIKE 'ix_%'"
        ).fetchall():
            conn.execute(f"DROP INDEX {name}")

        start = time.perf_counter()
        ids = [f"syn-{i:07d}" for i in range(args.clinics)]
        stamp = datetime(2026, 11, 1, tzinfo=UTC)

        def clinic_rows():
            for i, record in enumerate(generate(args.clinics, seed=args.seed, reviews=(0, 0))):
                record.pop("reviews", None)
                if i % 100_000 == 0:
                    log(f"listings: {i:,}")
                yield (ids[i], json.dumps(record, ensure_ascii=False), record["updated_at"], stamp, "feed", 1)

        _copy(
            conn, "clinics", ("id", "record", "updated_at", "changed_at", "source", "version"), clinic_rows()
        )
        took["listings"] = time.perf_counter() - start

        start = time.perf_counter()
        stars: dict[str, list[int]] = {}

        def review_rows():
            for n, row in enumerate(review_store(ids, args.reviews, args.seed, args.heavy)):
                if row[8] == "published":  # status
                    counts = stars.setdefault(row[0], [0] * 10)
                    counts[row[3] - 1] += 1
                    if row[7] == "verified-visit":
                        counts[row[3] + 4] += 1
                if n % 1_000_000 == 0:
                    log(f"reviews: {n:,}")
                yield row

        total = _copy(conn, "reviews", REVIEW_COLUMNS, review_rows())
        stats = ((cid, *stars.get(cid, [0] * 10), stamp) for cid in ids)
        columns = (*(f"stars_{n}" for n in range(1, 6)), *(f"verified_{n}" for n in range(1, 6)))
        _copy(conn, "review_stats", ("clinic_id", *columns, "changed_at"), stats)
        took["reviews"] = time.perf_counter() - start

        start = time.perf_counter()
        for (statement,) in rebuild:
            log(statement[:100])
            conn.execute(statement)
        took["indexes"] = time.perf_counter() - start
        start = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        took["analyze"] = time.perf_counter() - start
        conn.execute("CREATE TABLE bench_loaded (at timestamptz DEFAULT now())")
    log(f"loaded {args.clinics:,} listings and {total:,} reviews: {took}")
    return took


# --- the measures -------------------------------------------------------------------------------------


class Clock:
    """Times calls three ways: wall time; time in PostgreSQL (each statement from the driver's
    send to its answer, summed: the store time); and the client's own CPU. On a shared machine
    the wall time swings with the load, the store time much less, so both are reported."""

    def __init__(self, engine) -> None:
        self.store, self.statements = 0.0, 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._before_commit)

    def _before(self, conn, cursor, statement, parameters, context, many) -> None:
        context._bench_start = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, many) -> None:
        self.store += time.perf_counter() - context._bench_start
        self.statements += 1

    def _before_commit(self, conn) -> None:
        self.statements += 1  # COMMIT: timed with the wall clock only

    def time(self, samples: list, fn, *args):
        """`fn(*args)`, with its (wall ms, store ms, client CPU ms, statements) added to `samples`."""
        self.store, self.statements = 0.0, 0
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn(*args)
        samples.append(
            (
                (time.perf_counter() - wall) * 1000,
                self.store * 1000,
                (time.process_time() - cpu) * 1000,
                self.statements,
            )
        )
        return result


def summary(samples: list[tuple]) -> dict:
    """Percentiles of each of the Clock's measures."""

    def pct(values: list[float]) -> dict:
        values = sorted(values)
        return {
            "p50": statistics.median(values),
            "p95": values[int(0.95 * (len(values) - 1))],
            "max": values[-1],
        }

    wall, store, cpu, statements = zip(*samples, strict=True)
    return {
        "n": len(samples),
        "wall": pct(wall),
        "store": pct(store),
        "cpu": pct(cpu),
        "statements": statistics.median(statements),
    }


# Words to write distinct reviews from (the checks hold near-duplicates, as they should).
WORDS = sorted({w.strip(".,!;:").lower() for texts in TEXTS.values() for t in texts for w in t.split()})


def measure(url: str, args) -> dict:
    engine = open_store(url)
    clock = Clock(engine)
    rng = random.Random(args.seed)
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")  # this run's reviews differ from earlier runs'
    words = random.Random(run)
    heavy = "syn-0000000"
    with Session(engine) as session:
        count = session.scalar(text("SELECT count(*) FROM clinics"))
        total = session.scalar(text("SELECT count(*) FROM reviews"))
        heavy_count = listings.get(session, heavy).ratings.count
    log(f"{count:,} listings, {total:,} reviews; the busiest has {heavy_count:,} published")
    sample = [f"syn-{rng.randrange(1, count):07d}" for _ in range(args.samples)]
    out: dict = {"listings": count, "reviews": total, "heavy_published": heavy_count}

    def publish(clinic_ids: list[str], label: str) -> None:
        submitted, published, outcomes = [], [], Counter()
        for n, clinic_id in enumerate(clinic_ids):
            text_ = " ".join(words.sample(WORDS, 18))
            written = {"rating": 1 + n % 5, "title": "Bench", "text": text_, "author": "Bench"}
            origin = Origin(client_hash=f"{run}-{label}-{n}", network_hash=f"{run}-{label}-net-{n}")
            email = f"{label.split()[0]}{n}-{run}@x.example"
            token = clock.time(submitted, consumer_reviews.submit, engine, clinic_id, written, email, origin)
            outcome = clock.time(published, consumer_reviews.confirm, engine, token)
            outcomes[outcome.review.status] += 1
        out[f"submit a review, {label}"] = summary(submitted)
        out[f"publish it (confirm: checks + write), {label}"] = summary(published) | {
            "outcomes": dict(outcomes)
        }

    def pages(clinic_ids: list[str], label: str, deep: int) -> None:
        for sort in reviews.SORTS:
            first, later = [], []
            for clinic_id in clinic_ids:
                with Session(engine) as session:
                    batch = clock.time(first, reviews.after, session, clinic_id, sort, 20)
                    for _ in range(deep - 1):  # follow the cursor to the page before the timed one
                        if len(batch) < 20:
                            break
                        batch = reviews.after(session, clinic_id, sort, 20, batch[-1].cursor)
                    if len(batch) == 20 and deep > 1:
                        clock.time(later, reviews.after, session, clinic_id, sort, 20, batch[-1].cursor)
            out[f"page of 20, {sort}, first, {label}"] = summary(first)
            if later:
                out[f"page of 20, {sort}, page {deep + 1}, {label}"] = summary(later)

    def repeat(label: str, call, times: int = 30) -> None:
        samples = []
        for _ in range(times):
            with Session(engine) as session:
                clock.time(samples, call, session)
        out[label] = summary(samples)

    repeat("a round trip (SELECT 1), for scale", lambda s: s.execute(text("SELECT 1")), 200)
    log("publishing on random clinics")
    publish(sample, "random clinics")
    log("publishing on the busiest clinic")
    publish([heavy] * min(args.samples, 100), "busiest clinic")
    log("paging random clinics")
    pages(sample, "random clinics", deep=3)
    log("paging the busiest clinic")
    pages([heavy] * 20, "busiest clinic", deep=250)
    repeat("profile page 1 (offset), busiest clinic", lambda s: reviews.page(s, heavy, "newest", 1, 10))
    repeat("profile page 500 (offset), busiest clinic", lambda s: reviews.page(s, heavy, "newest", 500, 10))
    picks = iter(sample * 2)
    repeat(
        "aggregates for indexing, random clinics", lambda s: listings.get_many(s, [next(picks)]), len(sample)
    )
    repeat("aggregates for indexing, busiest clinic", lambda s: listings.get_many(s, [heavy]))
    with Session(engine) as session:
        out["fsync"] = session.scalar(text("SHOW fsync"))
        out["server"] = session.scalar(text("SHOW server_version"))
    out["load average"] = os.getloadavg()
    engine.dispose()
    return out


def write(args, loaded: dict | None, results: dict) -> str:
    when = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    load = ", ".join(f"{n:.1f}" for n in results["load average"])
    rows = [
        f"# Review store benchmark, {when}",
        "",
        f"{results['listings']:,} listings, {results['reviews']:,} reviews (the busiest clinic: "
        f"{results['heavy_published']:,} published) in PostgreSQL {results['server']} "
        f"(fsync={results['fsync']}); {platform.machine()}, {os.cpu_count()} cores shared with other "
        f"work (load average at the end: {load}). Milliseconds per call, as the app calls it (a "
        "session per call): **store** is the time in PostgreSQL (each statement from the driver's "
        "send to its answer, summed; COMMIT excepted), **wall** the whole call, **CPU** the client's.",
        "",
        "| measure | calls | statements | store p50 | store p95 | wall p50 | wall p95 | client CPU p50 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, value in results.items():
        if isinstance(value, dict) and "store" in value:
            rows.append(
                f"| {name} | {value['n']} | {value['statements']:g} | {value['store']['p50']:.2f} | "
                f"{value['store']['p95']:.2f} | {value['wall']['p50']:.2f} | {value['wall']['p95']:.2f} | "
                f"{value['cpu']['p50']:.2f} |"
            )
    for name, value in results.items():
        if isinstance(value, dict) and "outcomes" in value:
            rows.append(
                f"\n{name}: {value['outcomes']} (the checks hold a burst on one clinic, as they should)"
            )
    if loaded:
        rows.append(
            "\nLoad: "
            + ", ".join(f"{k} {v / 60:.1f} min" for k, v in loaded.items())
            + " (COPY, then indexes and constraints, then VACUUM ANALYZE)."
        )
    table = "\n".join(rows) + "\n"
    RESULTS.mkdir(exist_ok=True)
    for name in (f"reviews-{when}", "reviews-latest"):
        (RESULTS / f"{name}.md").write_text(table)
        (RESULTS / f"{name}.json").write_text(
            json.dumps({"args": vars(args), "load": loaded, **results}, indent=2)
        )
    return table


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url, new = database(args)
    loaded = load(url, args) if new else None
    if not new:
        log(f"reusing {make_url(url).database} (--fresh rebuilds it)")
    print(write(args, loaded, measure(url, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
