"""A search some shards failed to answer is refused as unavailable, never shown as complete."""

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError

from directory.search.core import every_shard

META = ApiResponseMeta(200, "1.1", HttpHeaders(), 0.01, NodeConfig("http", "127.0.0.1", 9200))


def test_partial_results_raise_a_503():
    answer = {
        "_shards": {"total": 3, "successful": 2, "failed": 1, "failures": [{"reason": "node disconnected"}]},
        "hits": {"hits": []},
    }
    with pytest.raises(ApiError) as raised:
        every_shard(answer, META)
    assert raised.value.meta.status == 503
    assert "1 of 3 shards failed: node disconnected" in raised.value.message


def test_complete_results_pass():
    every_shard({"_shards": {"total": 3, "successful": 3, "failed": 0}}, META)
