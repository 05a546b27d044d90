"""Elasticsearch side of the indexer: versioned indices behind an alias, bulk loads, upserts.

Readers only ever use the alias. A full load builds a new index with replicas and refresh
off, fills it, restores the settings and swaps the alias in one atomic request; if anything
fails on the way, the new index is deleted and the old one keeps serving.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import orjson
from elasticsearch import Elasticsearch, helpers

from indexer.mapping import MAPPING, index_settings, to_document
from registry.derive import Ratings

CHUNK_SIZE = 1000
T = TypeVar("T")


@dataclass
class BulkResult:
    indexed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (record id, reason)


def new_index_name(alias: str) -> str:
    return f"{alias}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"


def indices_behind(client: Elasticsearch, alias: str) -> list[str]:
    resp = client.options(ignore_status=404).indices.get_alias(name=alias)
    return sorted(resp.body) if resp.meta.status == 200 else []


# A stored listing as indexing reads it: its record and its review aggregates.
Listing = tuple[dict, Ratings]


def _actions(index: str, listings: Iterable[Listing]) -> Iterator[dict]:
    for record, ratings in listings:
        yield {"_index": index, "_id": record["id"], "_source": to_document(record, ratings)}


def document_json(record: dict, ratings: Ratings | None = None) -> bytes:
    """`to_document(record, ratings)` as UTF-8 JSON, the body of one bulk `index` action."""
    document = to_document(record, ratings)
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        # Lone surrogates: sent as they always were (the client encodes with surrogatepass).
        return json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")


def bulk_index(
    client: Elasticsearch,
    index: str,
    listings: Iterable[Listing],
    on_progress: Callable[[int], None] = lambda n: None,
    refresh: bool = False,
) -> BulkResult:
    """Stream listings into `index` (an index or alias) with their id as `_id`."""
    result = BulkResult()
    for ok, item in helpers.streaming_bulk(
        client,
        _actions(index, listings),
        chunk_size=CHUNK_SIZE,
        raise_on_error=False,
        raise_on_exception=True,
        max_retries=3,
    ):
        info = item["index"]
        if ok:
            result.indexed += 1
        else:
            result.errors.append((info["_id"], info.get("error", {}).get("reason", str(info))))
        on_progress(1)
    if refresh:
        client.indices.refresh(index=index)
    return result


def build_and_swap(
    client: Elasticsearch, alias: str, settings: dict, mappings: dict, fill: Callable[[str], T]
) -> tuple[str, T]:
    """Create a new index, `fill(name)` it, then point `alias` at it in one atomic request.

    The new index starts with replicas and refresh off (faster bulk loads) and gets the
    configured values back before the swap. On any failure or Ctrl-C it is deleted and the
    alias keeps serving the old index; after a swap the old indices are deleted.
    """
    name = new_index_name(alias)
    client.indices.create(
        index=name,
        settings={**settings, "number_of_replicas": 0, "refresh_interval": "-1"},
        mappings=mappings,
    )
    try:
        filled = fill(name)
        client.indices.put_settings(
            index=name,
            settings={"number_of_replicas": settings["number_of_replicas"], "refresh_interval": None},
        )
        client.indices.refresh(index=name)
        client.cluster.health(index=name, wait_for_status="yellow", timeout="60s")
        old = indices_behind(client, alias)
        actions = [{"remove": {"index": n, "alias": alias}} for n in old]
        actions.append({"add": {"index": name, "alias": alias}})
        client.indices.update_aliases(actions=actions)
    except BaseException:
        client.options(ignore_status=404).indices.delete(index=name)
        raise
    for n in old:
        client.options(ignore_status=404).indices.delete(index=n)
    return name, filled


def rebuild(
    client: Elasticsearch,
    alias: str,
    listings: Iterable[Listing],
    on_progress: Callable[[int], None] = lambda n: None,
    *,
    shards: int = 1,
    replicas: int = 0,
) -> tuple[str, BulkResult]:
    """Load listings into a fresh index and swap `alias` to it; return the new index name."""
    settings = index_settings(shards, replicas)
    return build_and_swap(
        client, alias, settings, MAPPING, lambda name: bulk_index(client, name, listings, on_progress)
    )


def upsert(client: Elasticsearch, alias: str, listings: Iterable[Listing]) -> BulkResult:
    """Write listings into the index behind `alias`, visible to search on return."""
    if not client.indices.exists_alias(name=alias):
        _, result = rebuild(client, alias, listings)
        return result
    return bulk_index(client, alias, listings, refresh=True)


def delete_alias_and_indices(client: Elasticsearch, alias: str) -> None:
    """Remove the alias and every index behind it (tests and benchmarks clean up with it)."""
    for name in indices_behind(client, alias):
        client.options(ignore_status=404).indices.delete(index=name)


def bulk_body(docs: list[tuple[str, bytes]]) -> bytes:
    """An NDJSON `_bulk` body indexing each (id, document JSON) pair."""
    return b"".join(b'{"index":{"_id":%b}}\n%b\n' % (orjson.dumps(rid), doc) for rid, doc in docs)


class BulkWriter:
    """Sends pre-serialised documents to `_bulk` from a background thread.

    The caller keeps validating and storing the next batch while Elasticsearch indexes the
    previous one; the bounded queue stops the caller from running far ahead of the engine.
    """

    def __init__(self, client: Elasticsearch, index: str, depth: int = 3):
        self.client, self.index = client, index
        self.result = BulkResult()
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
        self._thread.start()

    def send(self, docs: list[tuple[str, bytes]], on_done: Callable[[int], None] = lambda n: None) -> None:
        """Queue (id, document JSON) pairs as one bulk request."""
        if self._failure:
            raise self._failure
        if docs:
            self._queue.put((bulk_body(docs), len(docs), on_done))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            body, count, on_done = item
            if self._failure:
                continue
            try:
                resp = self.client.options(request_timeout=120).bulk(index=self.index, operations=body)
            except BaseException as err:  # noqa: BLE001 - handed to the caller by send()/close()
                self._failure = err
                continue
            for entry in resp["items"]:
                info = entry["index"]
                if info.get("error"):
                    self.result.errors.append((info["_id"], info["error"].get("reason", str(info["error"]))))
                else:
                    self.result.indexed += 1
            on_done(count)

    def close(self) -> BulkResult:
        """Wait for every queued request; raise the first failure, if any."""
        self._queue.put(None)
        self._thread.join()
        if self._failure:
            raise self._failure
        return self.result
