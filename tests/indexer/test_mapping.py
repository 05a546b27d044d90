"""The compiled mapping is snapshot-tested so any change shows up as a diff in review."""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from indexer.mapping import MAPPING, SETTINGS, to_document
from registry import provenance
from registry.derive import Ratings
from registry.schema import ClinicRecord

SNAPSHOT = Path(__file__).with_name("mapping.snapshot.json")


def test_mapping_matches_the_checked_in_snapshot():
    compiled = json.dumps({"settings": SETTINGS, "mappings": MAPPING}, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(compiled)
    assert compiled == SNAPSHOT.read_text(), "mapping changed: rerun with UPDATE_SNAPSHOTS=1 and review"


def test_mapping_is_strict():
    assert MAPPING["dynamic"] == "strict"
    assert MAPPING["properties"]["location"]["type"] == "geo_point"


def test_every_fixture_document_is_accepted_by_the_strict_mapping(es, alias, geocoder):
    from indexer import index
    from indexer.load import prepare

    lines = (Path(__file__).parents[2] / "fixtures" / "clinics.ndjson").read_text().splitlines()
    records = [prepare(json.loads(line), "t", geocoder)[0] for line in lines]
    facts = provenance.stamped(None, provenance.GROUPS, "feed:t", datetime.now(UTC), provenance.GROUPS)
    _, result = index.rebuild(es, alias, [(r, Ratings.of(r["reviews"]), facts) for r in records])
    assert result.errors == []
    assert es.count(index=alias)["count"] == len(lines)


def test_document_carries_aggregates_not_review_texts():
    record = ClinicRecord().dump(
        ClinicRecord().load(
            {
                "id": "x",
                "name": "X",
                "address": {"city": "Raleigh", "state": "NC"},
                "location": {"lat": 35.78, "lon": -78.64},
                "treatments": ["microneedling"],
                "reviews": [{"id": "r", "rating": 4, "date": "2026-01-01", "text": "secret text"}],
            }
        )
    )
    doc = to_document(record)
    assert doc["rating"]["count"] == 1 and doc["rating"]["average"] == 4.0
    assert "secret text" not in json.dumps(doc)
    # Treatments are searchable by every name people use for them, folded and stemmed.
    assert "microneedl" in doc["search"]["treatments"].split()
    assert "collagen induct" in doc["search"]["treatments"]
