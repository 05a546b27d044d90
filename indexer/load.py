"""Feeds -> validated -> geocoded -> store -> fresh index behind the alias, in one streaming pass.

Validation, geocoding and document building run in a pool of worker processes (the costly,
CPU-bound part); the main process writes each batch to the store and hands its documents to a
background bulk writer, so the store, Elasticsearch and the workers are busy at the same time.
Nothing holds the whole feed in memory: only the set of ids already indexed.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain, islice
from pathlib import Path

from elasticsearch import Elasticsearch
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tqdm import tqdm

from indexer import index
from indexer.feeds import FeedError, FeedItem, parse_line, read_feed
from indexer.mapping import MAPPING, index_settings
from registry import listings
from registry.db import now
from registry.geocode import geocode_address
from registry.models import Clinic
from registry.schema import ClinicRecord, ValidationError, dump_loaded, flatten_errors

SCHEMA = ClinicRecord()
log = logging.getLogger(__name__)
BATCH = 1000
# Below this many lines a worker pool costs more than it saves.
POOL_THRESHOLD = 5000


@dataclass(frozen=True)
class Rejection:
    """A record that was not loaded: where it was, which record, which field, and why."""

    where: str
    record_id: str | None
    field: str
    reason: str

    def __str__(self) -> str:
        """One line, whatever the feed held: ids and field names that could carry terminal
        escapes or line breaks are shown escaped."""
        who = f" id={_shown(self.record_id)}" if self.record_id else ""
        return f"{_shown(self.where)}{who} {_shown(self.field)}: {_shown(self.reason)}"


def _shown(text: str) -> str:
    return text if text.isprintable() else text.encode("unicode_escape", "backslashreplace").decode("ascii")


@dataclass
class LoadReport:
    read: int = 0
    stored: int = 0
    kept_newer: int = 0  # rows skipped because the store already had a newer version
    indexed: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def summary(self) -> str:
        return (
            f"read {self.read}, stored {self.stored}, kept newer stored version {self.kept_newer}, "
            f"indexed {self.indexed}, rejected {len(self.rejected)}"
        )


def prepare(raw: dict, where: str, geocoder) -> tuple[dict | None, list[Rejection]]:
    """Validate and geocode one raw record; return its JSON-ready form or why it failed."""
    record_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        record = SCHEMA.load(raw)
    except ValidationError as err:
        return None, [Rejection(where, record_id, f, r) for f, r in flatten_errors(err.messages)]
    if record["location"] is None:
        point = geocode_address(geocoder, record["address"])
        if point is None:
            reason = "no location given and the address could not be geocoded"
            return None, [Rejection(where, record_id, "address", reason)]
        record["location"] = {"lat": float(point[0]), "lon": float(point[1])}  # as dump() writes it
    return dump_loaded(record), []


# A record split for the store, its document, the rejections
Prepared = tuple[listings.FeedRow | None, bytes | None, list[Rejection]]

_worker_geocoder = None  # inherited by forked workers


def _prepare_items(items: list[FeedItem | FeedError], geocoder=None) -> list[Prepared]:
    geocoder = _worker_geocoder if geocoder is None else geocoder
    out: list[Prepared] = []
    for item in items:
        try:
            out.append(_prepare_item(item, geocoder))
        except Exception as err:  # noqa: BLE001 - one record's failure, whatever it is, is that record's
            log.debug("record at %s could not be processed", item.where, exc_info=True)
            reason = f"could not be processed ({type(err).__name__}); nothing of it was stored"
            out.append((None, None, [Rejection(item.where, None, "_record", reason)]))
    return out


def _prepare_item(item: FeedItem | FeedError, geocoder) -> Prepared:
    if isinstance(item, FeedItem) and isinstance(item.record, str):
        item = parse_line(item.where, item.record)
    if isinstance(item, FeedError):
        return None, None, [Rejection(item.where, None, item.field, item.reason)]
    record, rejections = prepare(item.record, item.where, geocoder)
    if record is None:
        return None, None, rejections
    row = listings.FeedRow.of(record)
    return row, index.document_json(record, row.ratings), rejections


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@contextmanager
def _prepared(paths: Iterable[Path], geocoder, workers: int) -> Iterator[Iterator[list[Prepared]]]:
    """Prepared batches in feed order, from a pool of forked workers when the feed is large.

    The pool starts on entry, so the workers are already validating while the caller creates
    the new index.
    """
    items = (item for path in paths for item in read_feed(Path(path), parse=False))
    head = list(islice(items, POOL_THRESHOLD))
    batches = _batches(chain(head, items), BATCH)
    if workers <= 1 or len(head) < POOL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        yield (_prepare_items(batch, geocoder) for batch in batches)
        return
    global _worker_geocoder
    _worker_geocoder = geocoder
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield pool.imap(_prepare_items, batches)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the garbage collector away from what was loaded before the feed (modules, tables).

    gc.freeze() takes those objects out of the collector's generations, so its passes stop
    rescanning them and forked workers stop copying the pages it would touch. Measured at 10k
    clinics with two workers: ~20 µs less CPU a record (parent 47 -> 40, workers 217 -> 204).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def default_workers() -> int:
    """One process per core but one (Elasticsearch needs CPU too), at least two.

    Measured on 2 cores beside a local node, 10k clinics through load_files: validating in this
    process 4,400 records/s, in two forked workers 5,400 records/s (this process then only stores
    and sends, ~40 µs CPU a record; each worker spends ~205 µs, ~140 of them in the schema).
    """
    cores = os.cpu_count() or 1
    return min(cores, max(2, cores - 1))


def load_files(
    paths: Iterable[Path],
    engine: Engine,
    client: Elasticsearch,
    alias: str,
    geocoder,
    *,
    incremental: bool = False,
    progress: bool | None = None,
    on_progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    shards: int = 1,
    replicas: int = 0,
    feed: str | None = None,
) -> LoadReport:
    """Load feed files into the store and into Elasticsearch.

    A full load (default) builds a new index (`shards`, `replicas`) from the feed plus every
    other stored listing, swaps the alias and catches up with edits made meanwhile
    (`build_and_catch_up`); `incremental` upserts only these files' listings into the live
    index. `workers` validating processes (None: `default_workers()`); `on_progress(n)` is
    called as documents are indexed, beside the progress bar. `feed` names the source of the
    facts the rows confirm ("feed:<feed>"); by default the files' names without extension.
    """
    paths = [Path(p) for p in paths]
    feed = feed or feed_name(paths)
    report = LoadReport()
    workers = default_workers() if workers is None else workers
    tick = _ticker(tqdm(desc="load", unit=" rec", disable=_quiet(progress)), on_progress)

    def fill(target: str, batches: Iterator[list[Prepared]], stamp: datetime | None) -> index.BulkResult:
        writer = index.BulkWriter(client, target)
        indexed: set[str] = set()
        with Session(engine) as session:
            for batch in batches:
                docs = {}
                rows = []
                for row, doc, rejections in batch:
                    report.read += 1
                    report.rejected += rejections
                    if row is not None:
                        rows.append(row)
                        docs[row.id] = doc
                facts: dict[str, dict] = {}
                stored, kept = listings.upsert_many(
                    session, rows, source="feed", changed_at=stamp, feed=feed, facts_of=facts
                )
                session.commit()
                report.stored += len(stored)
                report.kept_newer += kept
                writer.send([(rid, index.with_facts(docs[rid], facts[rid])) for rid in stored], tick)
                indexed.update(stored)
            if not incremental:
                # Listings in the store but not (or not newer) in this feed belong in the new index too.
                for chunk in _batches(_others(session, indexed), BATCH):
                    writer.send([(one.record["id"], index.document_json(*one)) for one in chunk])
        return writer.close()

    settings = index_settings(shards, replicas)
    with frozen_heap(), _prepared(paths, geocoder, workers) as batches:
        if incremental:
            if not client.indices.exists_alias(name=alias):
                index.build_and_swap(client, alias, settings, MAPPING, lambda _: index.BulkResult())
            result = fill(alias, batches, None)
            client.indices.refresh(index=alias)
        else:
            result = build_and_catch_up(
                engine, client, alias, settings, lambda name, started: fill(name, batches, started)
            )
    tick.close()
    if hasattr(geocoder, "save"):
        geocoder.save()
    report.indexed = result.indexed
    report.rejected += [Rejection("index", rid, "_document", why) for rid, why in result.errors]
    return report


def feed_name(paths: list[Path]) -> str:
    """'fixtures/clinics.ndjson' -> 'clinics'; several files -> their names joined with '+'."""
    return "+".join(dict.fromkeys(p.stem for p in paths))[:100]


def _others(session: Session, indexed: set[str]) -> Iterator[index.Listing]:
    ids = [i for i in session.scalars(select(Clinic.id).order_by(Clinic.id)) if i not in indexed]
    for chunk in _batches(ids, BATCH):
        yield from listings.get_many(session, chunk).values()


def rebuild_from_store(
    engine: Engine,
    client: Elasticsearch,
    alias: str,
    *,
    progress: bool | None = None,
    on_progress: Callable[[int], None] | None = None,
    shards: int = 1,
    replicas: int = 0,
) -> index.BulkResult:
    """Recreate the index behind `alias` from every listing in the store (see build_and_catch_up)."""
    with Session(engine) as session:
        total = listings.count(session)
    tick = _ticker(tqdm(total=total, desc="index", unit=" doc", disable=_quiet(progress)), on_progress)

    def fill(name: str, _started: datetime) -> index.BulkResult:
        with Session(engine) as session:
            return index.bulk_index(
                client, name, listings.iter_listings(session), on_progress=tick, build=True
            )

    result = build_and_catch_up(engine, client, alias, index_settings(shards, replicas), fill)
    tick.close()
    return result


# How long before a build started an edit may have taken its time and still have committed
# after the build read its listing: an edit's transaction plus the clocks' difference between
# hosts. Generous, as re-indexing the listings changed in that minute costs little.
CATCH_UP_MARGIN = timedelta(minutes=1)


def build_and_catch_up(
    engine: Engine,
    client: Elasticsearch,
    alias: str,
    settings: dict,
    fill: Callable[[str, datetime], index.BulkResult],
) -> index.BulkResult:
    """Build a new index with `fill(name, started)`, swap the alias to it, then re-index every
    listing changed since the build started, so that no edit made during the build is lost.

    The race: while the new index fills from the store, edits keep arriving. The fill may have
    read a listing before an edit to it committed, and that edit's outbox row is drained into
    the index the alias still points at: the old one, which the swap then retires. So the build
    notes its start (before the fill reads anything), and right after the swap re-indexes,
    through the alias (now the new index), every listing whose row or reviews were written
    since then (`changed_at`, set by every write of the edit service, feeds included). An edit
    that commits after this catch-up has read the store is drained by its own outbox row into
    the alias, which is the new index by then. `CATCH_UP_MARGIN` covers an edit whose time was
    taken just before the start but that committed after the fill read its listing. A full
    load stamps the listings it writes itself with `started`; those are in the new index
    already, so the catch-up leaves them out (any later write gives a listing another time).
    Writing a document twice is harmless: each write reads the latest state from the store.
    """
    started = now()
    _, result = index.build_and_swap(client, alias, settings, MAPPING, lambda name: fill(name, started))
    with Session(engine) as session:
        changed = listings.changed_since(session, started - CATCH_UP_MARGIN, except_at=started)
        for chunk in _batches(changed, BATCH):
            caught = index.upsert(client, alias, listings.get_many(session, chunk).values())
            result.errors += caught.errors
    return result


class _ticker:
    """A progress bar that also calls `on_progress(n)`."""

    def __init__(self, bar: tqdm, on_progress: Callable[[int], None] | None) -> None:
        self.bar, self.on_progress = bar, on_progress

    def __call__(self, n: int) -> None:
        self.bar.update(n)
        if self.on_progress:
            self.on_progress(n)

    def close(self) -> None:
        self.bar.close()


def _quiet(progress: bool | None) -> bool | None:
    """tqdm's `disable`: None means "only when stderr is a terminal"."""
    return None if progress is None else not progress
