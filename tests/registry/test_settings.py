"""make_client: ELASTICSEARCH_SNIFF is honoured exactly (off: only the given URLs are used); orjson
writes request bodies and reads answers, byte for byte as the json module would write them."""

import json
from urllib.parse import urlsplit

from registry.settings import Settings, make_client


def served_by(client, requests: int = 6) -> set[str]:
    """The base URLs that answered `requests` requests."""
    nodes = [client.cluster.health().meta.node for _ in range(requests)]
    return {f"{n.scheme}://{n.host}:{n.port}" for n in nodes}


def published(es) -> set[str]:
    """Every node's HTTP publish address, as the cluster reports it."""
    nodes = es.nodes.info(metric="http")["nodes"].values()
    return {f"http://{n['http']['publish_address'].rsplit('/', 1)[-1]}" for n in nodes}


def proxied(url: str) -> str:
    """The same node under another name, as a proxy or load balancer in front of it would be."""
    parts = urlsplit(url)
    host = "localhost" if parts.hostname == "127.0.0.1" else "127.0.0.1"
    return f"{parts.scheme}://{host}:{parts.port}"


def test_without_sniffing_the_client_talks_only_to_the_given_url(es, es_url):
    given = proxied(es_url.split(",")[0])
    client = make_client(Settings(elasticsearch_url=given, sniff=False))
    assert served_by(client) == {given}
    assert [n.base_url for n in client.transport.node_pool.all()] == [given]
    assert given not in published(es), "the test needs a URL the node does not publish"


def test_with_sniffing_the_client_uses_the_addresses_nodes_publish(es, es_url):
    given = proxied(es_url.split(",")[0])
    client = make_client(Settings(elasticsearch_url=given, sniff=True))
    client.cluster.health()
    assert published(es) <= {n.base_url for n in client.transport.node_pool.all()}


def test_msearch_and_bulk_bodies_are_written_by_orjson_as_the_json_module_would():
    client = make_client(Settings(elasticsearch_url="http://127.0.0.1:9"))
    lines = [{"index": "providers"}, {"query": {"match": {"name": "Café-au-lait"}}, "size": 20, "boost": 1.5}]
    expected = "".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")) + "\n" for x in lines)
    serializers = client.transport.serializers
    for mimetype in ("application/x-ndjson", "application/vnd.elasticsearch+x-ndjson"):
        assert serializers.get_serializer(mimetype).json_dumps.__module__ == "registry.settings"
        assert serializers.dumps(lines, mimetype) == expected.encode()
    assert serializers.loads(b'{"took":1}', "application/vnd.elasticsearch+json") == {"took": 1}
