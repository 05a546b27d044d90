"""ELASTICSEARCH_SNIFF on the cluster: off, only the given URL is used; on, all three nodes are found."""

import pytest

from registry.settings import Settings, make_client
from tests.registry.test_settings import served_by

pytestmark = pytest.mark.cluster


def test_sniffing_off_keeps_to_the_one_url_given(es_url):
    first = es_url.split(",")[0]
    client = make_client(Settings(elasticsearch_url=first, sniff=False))
    assert served_by(client, 12) == {first}
    assert [n.base_url for n in client.transport.node_pool.all()] == [first]


def test_sniffing_on_discovers_the_three_nodes_from_one_url(es_url):
    first = es_url.split(",")[0]
    client = make_client(Settings(elasticsearch_url=first, sniff=True))
    assert served_by(client, 12) == set(es_url.split(","))
