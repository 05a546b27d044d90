"""make_client: ELASTICSEARCH_SNIFF is honoured exactly (off: only the given URLs are used)."""

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
