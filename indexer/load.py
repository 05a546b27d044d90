"""Feeds -> validated -> geocoded -> store -> fresh index behind the alias."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from elasticsearch import Elasticsearch
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tqdm import tqdm

from indexer import index, store
from indexer.feeds import FeedError, read_feed
from indexer.geocode import geocode_address
from indexer.schema import ClinicRecord, ValidationError, flatten_errors

SCHEMA = ClinicRecord()
COMMIT_EVERY = 1000


@dataclass(frozen=True)
class Rejection:
    """A record that was not loaded: where it was, which record, which field, and why."""

    where: str
    record_id: str | None
    field: str
    reason: str

    def __str__(self) -> str:
        who = f" id={self.record_id}" if self.record_id else ""
        return f"{self.where}{who} {self.field}: {self.reason}"


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
        record["location"] = {"lat": point[0], "lon": point[1]}
    return SCHEMA.dump(record), []


def load_files(
    paths: Iterable[Path],
    engine: Engine,
    client: Elasticsearch,
    alias: str,
    geocoder,
    *,
    incremental: bool = False,
    progress: bool | None = None,
) -> LoadReport:
    """Load feed files into the store, then into Elasticsearch.

    A full load (default) rebuilds the index from the whole store and swaps the alias;
    `incremental` upserts only the records of these files into the live index.
    """
    report = LoadReport()
    changed: list[dict] = []
    bar = tqdm(desc="validate+store", unit=" rec", disable=_quiet(progress))
    with Session(engine) as session:
        for path in paths:
            for item in read_feed(Path(path)):
                bar.update()
                report.read += 1
                if isinstance(item, FeedError):
                    report.rejected.append(Rejection(item.where, None, item.field, item.reason))
                    continue
                record, rejections = prepare(item.record, item.where, geocoder)
                report.rejected += rejections
                if record is None:
                    continue
                if store.upsert(session, record, source="feed"):
                    report.stored += 1
                    if incremental:
                        changed.append(record)
                else:
                    report.kept_newer += 1
                if report.read % COMMIT_EVERY == 0:
                    session.commit()
        session.commit()
    bar.close()
    if hasattr(geocoder, "save"):
        geocoder.save()
    if incremental:
        result = index.upsert(client, alias, changed)
    else:
        result = rebuild_from_store(engine, client, alias, progress=progress)
    report.indexed = result.indexed
    report.rejected += [Rejection("index", rid, "_document", why) for rid, why in result.errors]
    return report


def rebuild_from_store(
    engine: Engine, client: Elasticsearch, alias: str, *, progress: bool | None = None
) -> index.BulkResult:
    """Recreate the index behind `alias` from every record in the store."""
    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(store.Clinic))
        bar = tqdm(total=total, desc="index", unit=" doc", disable=_quiet(progress))
        _, result = index.rebuild(client, alias, store.iter_records(session), on_progress=bar.update)
        bar.close()
    return result


def _quiet(progress: bool | None) -> bool | None:
    """tqdm's `disable`: None means "only when stderr is a terminal"."""
    return None if progress is None else not progress
