"""End to end through the indexer: feed file -> validation -> geocoding -> store -> index."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zipcodes
from geopy.distance import geodesic
from sqlalchemy.orm import Session

from indexer import index
from indexer.load import load_files, rebuild_from_store
from indexer.mapping import MAPPING, to_document
from registry import db, listings
from registry.geocode import geocode_address
from registry.schema import ClinicRecord

ROOT = Path(__file__).parents[2]
MALFORMED = ROOT / "fixtures" / "malformed.ndjson"
GOOD_IDS = {f"good-{i}" for i in range(1, 9)}


def ids_in(es, alias):
    resp = es.search(index=alias, size=1000, source=False, query={"match_all": {}})
    return {hit["_id"] for hit in resp["hits"]["hits"]}


def test_malformed_feed_loads_every_good_record_and_names_every_bad_one(es, alias, engine, geocoder):
    report = load_files([MALFORMED], engine, es, alias, geocoder, progress=False)
    assert ids_in(es, alias) == GOOD_IDS
    assert not report.ok
    rejected = {(r.record_id, r.field) for r in report.rejected}
    assert ("bad-rating", "reviews.0.rating") in rejected
    assert ("bad-zone", "hours.timezone") in rejected
    assert ("bad-price", "price_range.max") in rejected
    [broken] = [r for r in report.rejected if r.record_id is None]
    assert broken.where == f"{MALFORMED}:7" and "not valid JSON" in broken.reason
    assert len(report.rejected) == 4


def test_cli_exit_status_tells_all_loaded_from_some_rejected(settings, tmp_path):
    env = {
        **os.environ,
        "ELASTICSEARCH_URL": settings.elasticsearch_url,
        "DIRECTORY_INDEX": settings.index,
        "DATABASE_URL": settings.database_url,
        "GEOCODE_CACHE": str(settings.geocode_cache),
    }
    cmd = [sys.executable, "-m", "indexer", "load", "--no-progress"]
    bad = subprocess.run(
        [*cmd, str(MALFORMED), "--report", str(tmp_path / "r.ndjson")],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 1, bad.stderr
    assert "id=bad-rating reviews.0.rating" in bad.stderr
    assert "rejected 4" in bad.stderr
    assert len((tmp_path / "r.ndjson").read_text().splitlines()) == 4
    good = subprocess.run(
        [*cmd, str(ROOT / "fixtures" / "sample.csv")], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert good.returncode == 0, good.stderr
    assert "rejected 0" in good.stderr


def test_cli_exit_status_2_when_unreachable_or_elasticsearch_fails(settings):
    """2: the node cannot be reached, or Elasticsearch fails during the command (a usage error too)."""
    env = {**os.environ, "DATABASE_URL": settings.database_url, "DIRECTORY_INDEX": settings.index}
    cmd = [sys.executable, "-m", "indexer", "load", "--no-progress", str(MALFORMED)]
    down = subprocess.run(
        cmd, env={**env, "ELASTICSEARCH_URL": "http://127.0.0.1:9"}, capture_output=True, text=True, cwd=ROOT
    )
    assert down.returncode == 2, down.stderr
    # An index name Elasticsearch refuses fails the build: not the feed's fault, not "rejected";
    # Elasticsearch failing during the command is said in one message, without a traceback.
    refused = subprocess.run(
        cmd,
        env={**env, "ELASTICSEARCH_URL": settings.elasticsearch_url, "DIRECTORY_INDEX": "Not_A_Valid_Name"},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert refused.returncode == 2, refused.stderr
    assert "Elasticsearch failed during load" in refused.stderr and "Traceback" not in refused.stderr


def test_cli_exit_status_3_when_the_command_itself_crashes(settings, monkeypatch, capsys):
    from indexer import __main__ as cli
    from indexer import load

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ELASTICSEARCH_URL", settings.elasticsearch_url)
    monkeypatch.setenv("DIRECTORY_INDEX", settings.index)

    def bug(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(load, "load_files", bug)
    assert cli.main(["load", "--no-progress", str(MALFORMED)]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError: 'a bug'" in err
    assert "crashed" in err.splitlines()[-1]


def test_records_without_location_are_geocoded_from_their_address(es, alias, engine, geocoder, tmp_path):
    feed = tmp_path / "feed.ndjson"
    record = {
        "id": "geo-1",
        "name": "Queen City Skin",
        "treatments": ["microneedling"],
        "address": {"street": "100 N Tryon St", "city": "Charlotte", "state": "NC", "postal_code": "28202"},
    }
    feed.write_text(json.dumps(record) + "\n")
    load_files([feed], engine, es, alias, geocoder, progress=False)
    doc = es.get(index=alias, id="geo-1")["_source"]
    [centroid] = zipcodes.matching("28202")
    distance = geodesic(
        (doc["location"]["lat"], doc["location"]["lon"]), (float(centroid["lat"]), float(centroid["long"]))
    ).km
    assert distance < 1


def test_reloading_is_idempotent_and_leaves_one_index(es, alias, engine, geocoder):
    for _ in range(2):
        load_files([MALFORMED], engine, es, alias, geocoder, progress=False)
    assert ids_in(es, alias) == GOOD_IDS
    assert len(index.indices_behind(es, alias)) == 1
    assert es.indices.get(index=f"{alias}-*").body.keys() == set(index.indices_behind(es, alias))


def test_an_interrupted_load_leaves_the_previous_index_serving(es, alias, engine, geocoder):
    load_files([MALFORMED], engine, es, alias, geocoder, progress=False)
    [serving] = index.indices_behind(es, alias)

    def interrupted():
        with Session(engine) as session:
            for n, record in enumerate(listings.iter_listings(session)):
                if n == 3:
                    raise KeyboardInterrupt
                yield record

    with pytest.raises(KeyboardInterrupt):
        index.rebuild(es, alias, interrupted())
    assert index.indices_behind(es, alias) == [serving]
    assert ids_in(es, alias) == GOOD_IDS
    assert list(es.indices.get(index=f"{alias}-*").body) == [serving]


def test_incremental_load_upserts_into_the_live_index(es, alias, engine, geocoder, tmp_path):
    load_files([MALFORMED], engine, es, alias, geocoder, progress=False)
    [serving] = index.indices_behind(es, alias)
    record = json.loads(MALFORMED.read_text().splitlines()[0])
    record["name"] = "Renamed Clinic"
    record["updated_at"] = datetime.now(UTC).isoformat()  # newer than the stored version
    feed = tmp_path / "one.ndjson"
    feed.write_text(json.dumps(record) + "\n")
    report = load_files([feed], engine, es, alias, geocoder, incremental=True, progress=False)
    assert report.ok and report.indexed == 1
    assert index.indices_behind(es, alias) == [serving]
    assert es.get(index=alias, id=record["id"])["_source"]["name"] == "Renamed Clinic"


def test_rebuild_recreates_the_index_from_the_store(es, alias, engine, geocoder):
    load_files([MALFORMED], engine, es, alias, geocoder, progress=False)
    index.delete_alias_and_indices(es, alias)
    result = rebuild_from_store(engine, es, alias, progress=False)
    assert result.indexed == len(GOOD_IDS)
    assert ids_in(es, alias) == GOOD_IDS


def test_large_feeds_go_through_the_worker_pool_and_keep_their_order_and_errors(
    es, alias, engine, geocoder, tmp_path
):
    from tools.synthetic import generate

    records = list(generate(6000, seed=11, reviews=(0, 2)))
    records[4321]["reviews"] = [{"id": "r", "rating": 9, "date": "2026-01-01"}]
    lines = [json.dumps(r) for r in records]
    lines.insert(5000, "{broken")
    feed = tmp_path / "big.ndjson"
    feed.write_text("\n".join(lines) + "\n")
    report = load_files([feed], engine, es, alias, geocoder, progress=False, workers=2)
    assert report.read == 6001 and report.stored == report.indexed == 5999
    assert {(r.where, r.field) for r in report.rejected} == {
        (f"{feed}:4322", "reviews.0.rating"),
        (f"{feed}:5001", "_line"),
    }
    assert es.count(index=alias)["count"] == 5999


def sources(es, alias, facts: dict | None = None):
    """{id: document} without its facts' provenance (times of the load); `facts` gets that part."""
    resp = es.search(index=alias, size=10_000, query={"match_all": {}}, sort=[{"id": "asc"}])
    facts = {} if facts is None else facts
    out = {}
    for hit in resp["hits"]["hits"]:
        facts[hit["_id"]] = hit["_source"].pop("facts")
        out[hit["_id"]] = hit["_source"]
    return out


def test_documents_are_to_document_of_the_dumped_records(es, alias, engine, geocoder):
    """What the fast paths (dump_loaded, orjson, the worker pool) index is what dump + json indexed."""
    feed = ROOT / "fixtures" / "clinics.ndjson"
    load_files([feed], engine, es, alias, geocoder, progress=False)
    schema = ClinicRecord()
    expected = {}
    for line in feed.read_text().splitlines():
        record = schema.load(json.loads(line))
        if record["location"] is None:
            lat, lon = geocode_address(geocoder, record["address"])
            record["location"] = {"lat": lat, "lon": lon}
        document = to_document(schema.dump(record))
        for field in MAPPING["_source"]["excludes"]:  # indexed, not stored
            del document[field]
        expected[record["id"]] = json.loads(json.dumps(document))
    # repr, not ==, so 5 and 5.0 differ, as do key orders
    facts = {}
    assert repr(sources(es, alias, facts)) == repr(dict(sorted(expected.items())))
    # the feed confirmed every group of facts of its records, at the time it stored them
    groups = {"contact", "hours", "prices", "credentials"}
    for listed in facts.values():
        assert set(listed) == groups and {f["source"] for f in listed.values()} == {"feed:clinics"}
        assert len({f["confirmed_at"] for f in listed.values()}) == 1


def test_the_worker_pool_loads_exactly_what_one_process_loads(es, alias, engine, geocoder, tmp_path):
    from tools.synthetic import generate

    lines = [json.dumps(r, ensure_ascii=False) for r in generate(6000, seed=3, reviews=(0, 3))]
    lines[10] = lines[10].replace('"name": "', '"name": "Clínica ')
    lines[4000] = lines[4000].replace('"state": "', '"state": "' + "X" * 60)
    feed = tmp_path / "feed.ndjson"
    feed.write_text("\n".join(lines) + "\n")
    other = f"{alias}-pool"
    other_engine = db.open_store(f"sqlite:///{tmp_path / 'pool.sqlite3'}")
    try:
        alone = load_files([feed], engine, es, alias, geocoder, progress=False, workers=1)
        pooled = load_files([feed], other_engine, es, other, geocoder, progress=False, workers=2)
        assert (alone.read, alone.stored, alone.indexed, alone.rejected) == (
            pooled.read,
            pooled.stored,
            pooled.indexed,
            pooled.rejected,
        )
        assert len(alone.rejected) == 1
        assert repr(sources(es, alias)) == repr(sources(es, other))
        with Session(engine) as a, Session(other_engine) as b:
            assert list(listings.iter_records(a)) == list(listings.iter_records(b))
    finally:
        index.delete_alias_and_indices(es, other)
        other_engine.dispose()
