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
from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from indexer.mapping import MAPPING, document_facts, index_settings, to_document
from registry.derive import Ratings
from registry.listings import Indexed

CHUNK_SIZE = 1000
# Index administration (create, settings, refresh, health, alias swap) and bulk requests may take
# far longer than a search on a busy cluster; the client's own timeout is sized for searches.
ADMIN_TIMEOUT = 120
# How long a full load's bulk request waits for a shard without a live primary (its node was lost
# while the new index has no replicas yet): long enough for a restarted node to bring it back,
# after which the load fails cleanly (Elasticsearch's own default is one minute).
PRIMARY_WAIT = "2m"
T = TypeVar("T")


class ShardsUnavailable(TransportError):
    """Elasticsearch could not take documents: their shard has no live copy (a node was lost) or
    the cluster is overloaded. Unlike a refused document, this is no fault of the record."""


@dataclass
class BulkResult:
    indexed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (record id, reason)

    def add(self, item: dict) -> None:
        """Count one `_bulk` item: indexed, refused (kept as the record's error), or unavailable (raised)."""
        info = item["index"]
        error = info.get("error")
        if not error:
            self.indexed += 1
        elif info.get("status", 500) == 429 or info.get("status", 500) >= 500:
            raise ShardsUnavailable(f"{error.get('type')}: {error.get('reason')} (document {info['_id']})")
        else:
            self.errors.append((info["_id"], error.get("reason", str(error))))


def new_index_name(alias: str) -> str:
    return f"{alias}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"


def indices_behind(client: Elasticsearch, alias: str) -> list[str]:
    resp = client.options(ignore_status=404).indices.get_alias(name=alias)
    return sorted(resp.body) if resp.meta.status == 200 else []


# A stored listing as indexing reads it: its record, review aggregates and facts' provenance.
Listing = Indexed


def _actions(index: str, listings: Iterable[Listing]) -> Iterator[dict]:
    for record, ratings, facts in listings:
        yield {"_index": index, "_id": record["id"], "_source": to_document(record, ratings, facts)}


def with_facts(document: bytes, facts: dict) -> bytes:
    """A document made by `document_json` without facts, with the stored listing's facts added
    (feed rows are turned into documents before the store decides their facts)."""
    return document[:-1] + b',"facts":' + orjson.dumps(document_facts(facts)) + b"}"


def document_json(record: dict, ratings: Ratings | None = None, facts: dict | None = None) -> bytes:
    """`to_document(record, ratings, facts)` as UTF-8 JSON, the body of one bulk `index` action."""
    document = to_document(record, ratings, facts)
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
    *,
    build: bool = False,
) -> BulkResult:
    """Stream listings into `index` (an index or alias) with their id as `_id`.

    `build`: filling a new index before its swap, so the requests get the patience of index
    administration and wait up to PRIMARY_WAIT for a shard whose primary was lost.
    """
    result = BulkResult()
    for _, item in helpers.streaming_bulk(
        client.options(request_timeout=ADMIN_TIMEOUT) if build else client,
        _actions(index, listings),
        chunk_size=CHUNK_SIZE,
        raise_on_error=False,
        raise_on_exception=True,
        max_retries=3,
        timeout=PRIMARY_WAIT if build else None,
    ):
        result.add(item)
        on_progress(1)
    if refresh:
        client.indices.refresh(index=index)
    return result


def build_and_swap(
    client: Elasticsearch, alias: str, settings: dict, mappings: dict, fill: Callable[[str], T]
) -> tuple[str, T]:
    """Create a new index, `fill(name)` it, then point `alias` at it in one atomic request.

    The new index starts with replicas and refresh off (faster bulk loads) and gets the
    configured values back before the swap, which waits until every primary shard is live
    (a node lost during the load with a primary of the new index fails it here, or earlier in
    `_bulk`, unless the node is back within PRIMARY_WAIT). On any failure or Ctrl-C the new index
    is deleted and the alias keeps serving the old one; after a swap the old indices are deleted.
    """
    name = new_index_name(alias)
    admin = client.options(request_timeout=ADMIN_TIMEOUT)
    admin.indices.create(
        index=name,
        settings={**settings, "number_of_replicas": 0, "refresh_interval": "-1"},
        mappings=mappings,
    )
    try:
        filled = fill(name)
        admin.indices.put_settings(
            index=name,
            settings={"number_of_replicas": settings["number_of_replicas"], "refresh_interval": None},
        )
        admin.indices.refresh(index=name)
        admin.cluster.health(index=name, wait_for_status="yellow", timeout="60s")  # 408 raises
        old = indices_behind(admin, alias)
        actions = [{"remove": {"index": n, "alias": alias}} for n in old]
        actions.append({"add": {"index": name, "alias": alias}})
        admin.indices.update_aliases(actions=actions)
    except BaseException as err:
        try:
            admin.options(ignore_status=404).indices.delete(index=name)
        except (TransportError, ApiError):
            err.add_note(
                f"The unfinished index {name} could not be deleted; delete it once the cluster is back."
            )
        raise
    for n in old:
        admin.options(ignore_status=404).indices.delete(index=n)
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
        client,
        alias,
        settings,
        MAPPING,
        lambda name: bulk_index(client, name, listings, on_progress, build=True),
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
                resp = self.client.options(request_timeout=ADMIN_TIMEOUT).bulk(
                    index=self.index, operations=body, timeout=PRIMARY_WAIT
                )
                for entry in resp["items"]:
                    self.result.add(entry)
            except BaseException as err:  # noqa: BLE001 - handed to the caller by send()/close()
                self._failure = err
                continue
            on_done(count)

    def close(self) -> BulkResult:
        """Wait for every queued request; raise the first failure, if any."""
        self._queue.put(None)
        self._thread.join()
        if self._failure:
            raise self._failure
        return self.result
