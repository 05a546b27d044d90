"""No edit made while a full rebuild or load runs is lost when the alias swaps (load.build_and_catch_up).

The edits below happen after the new index's fill has read every listing (from the progress
callback, once Elasticsearch answered the first bulk request) and are drained into the alias
while it still points at the old index: exactly the edits a plain build-and-swap loses.
"""

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from indexer.load import load_files, rebuild_from_store
from indexer.sync import index_pending
from registry import consumer_reviews, listings
from registry.consumer_reviews import Origin

MALFORMED = Path(__file__).parents[2] / "fixtures" / "malformed.ndjson"
NEW_REVIEW = {
    "rating": 1,
    "title": None,
    "text": "Written while the index was being rebuilt.",
    "author": None,
}


def edit_during(engine, es, alias) -> tuple[dict, callable]:
    """A progress callback that, the first time, renames good-1 and reviews good-2 through the
    registry's services (the review as a consumer writes one), and drains both outbox rows into
    the alias (the old index by then)."""
    done: dict = {}

    def on_progress(_n: int) -> None:
        if done:
            return
        with Session(engine) as session:
            listing = listings.get(session, "good-1")
            done["count"] = listings.get(session, "good-2").ratings.count
        record = {**listing.record, "name": "Renamed During The Build"}
        listings.save(engine, "good-1", record, version=str(listing.version), actor="t@test", source="clinic")
        token = consumer_reviews.submit(engine, "good-2", NEW_REVIEW, "late@example.test", Origin())
        assert consumer_reviews.confirm(engine, token).published
        done["drained"] = index_pending(engine, es, alias).indexed

    return done, on_progress


@pytest.mark.parametrize("build", ["rebuild", "load"])
def test_an_edit_made_during_a_full_build_is_in_search_afterwards(es, alias, engine, geocoder, build):
    load_files([MALFORMED], engine, es, alias, geocoder, progress=False)
    done, on_progress = edit_during(engine, es, alias)
    if build == "rebuild":
        result = rebuild_from_store(engine, es, alias, progress=False, on_progress=on_progress)
        assert result.errors == []
    else:
        report = load_files([MALFORMED], engine, es, alias, geocoder, progress=False, on_progress=on_progress)
        assert report.indexed == 8
    assert done["drained"] == 2  # into the old index, which the swap retired
    assert es.get(index=alias, id="good-1")["_source"]["name"] == "Renamed During The Build"
    assert es.get(index=alias, id="good-2")["_source"]["rating"]["count"] == done["count"] + 1
    hits = es.search(index=alias, query={"match": {"name": "renamed during"}})["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["good-1"]
