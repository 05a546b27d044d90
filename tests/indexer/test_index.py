import json

import pytest

from indexer import index
from indexer.mapping import to_document
from registry.schema import ClinicRecord

RECORD = ClinicRecord().dump(
    ClinicRecord().load(
        {
            "id": "x-1",
            "name": "Clínica Café ✨",
            "address": {"city": "Raleigh", "state": "NC"},
            "location": {"lat": 35.78, "lon": -78.64},
            "hours": {"timezone": "America/New_York", "mon": ["09:00-17:00"]},
            "price_range": {"min": 200, "max": 450.5},
            "reviews": [{"id": "r", "rating": 4, "date": "2026-01-01"}],
            "updated_at": "2026-01-02T03:04:05.000006-05:00",
        }
    )
)


def test_document_json_is_to_document_as_json():
    assert json.loads(index.document_json(RECORD)) == json.loads(json.dumps(to_document(RECORD)))


def test_lone_surrogates_are_sent_as_they_always_were():
    record = {**RECORD, "name": "bad \ud800 name"}
    expected = json.dumps(to_document(record), ensure_ascii=False).encode("utf-8", "surrogatepass")
    assert index.document_json(record) == expected


def test_bulk_body_pairs_an_index_action_with_each_document():
    body = index.bulk_body([("a", b'{"id":"a"}'), ('q"uote', b'{"id":"q"}')])
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert lines == [{"index": {"_id": "a"}}, {"id": "a"}, {"index": {"_id": 'q"uote'}}, {"id": "q"}]


def test_a_document_the_cluster_cannot_take_fails_the_load_a_refused_one_is_reported():
    result = index.BulkResult()
    result.add({"index": {"_id": "ok", "status": 201}})
    refused = {"type": "document_parsing_exception", "reason": "failed to parse field [price.min]"}
    result.add({"index": {"_id": "bad", "status": 400, "error": refused}})
    assert (result.indexed, result.errors) == (1, [("bad", "failed to parse field [price.min]")])
    lost = {"type": "unavailable_shards_exception", "reason": "primary shard is not active"}
    for status in (503, 429):
        with pytest.raises(index.ShardsUnavailable, match="primary shard is not active"):
            result.add({"index": {"_id": "any", "status": status, "error": lost}})
