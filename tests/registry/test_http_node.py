"""The lean HTTP node (registry/http_node.py): the same answers as urllib3's node, the transport's
errors when a node hangs or drops the connection (so the client moves on and recovers), and a
forked worker never sharing its parent's connection."""

import os
import socket
import threading
import time

import pytest
from elastic_transport import ConnectionError, ConnectionTimeout, Urllib3HttpNode
from elasticsearch import Elasticsearch

from registry.http_node import HttpClientNode
from registry.settings import SERIALIZERS, Settings, make_client


def without_took(body: dict) -> dict:
    return {**body, "took": 0, "responses": [{**r, "took": 0} for r in body.get("responses", [])]}


class BadServer:
    """A local TCP server that accepts and then either says nothing or hangs up mid-answer."""

    def __init__(self, behaviour: str) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.behaviour = behaviour
        self.held: list[socket.socket] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            if self.behaviour == "hang":
                self.held.append(conn)  # never answers
            elif self.behaviour == "answer once":  # kept alive, then closed while idle
                body = b'{"cluster_name":"x","status":"green"}'
                head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch"
                conn.sendall(f"{head}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body)
                time.sleep(0.05)
                conn.close()
            else:
                conn.sendall(b'HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n{"partial')
                conn.close()

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_plain_http_hosts_get_the_lean_node_and_tls_hosts_urllib3s():
    plain = make_client(Settings(elasticsearch_url="http://127.0.0.1:9200,http://127.0.0.1:9201"))
    assert {type(n) for n in plain.transport.node_pool.all()} == {HttpClientNode}
    tls = make_client(Settings(elasticsearch_url="https://127.0.0.1:9200"))
    assert {type(n) for n in tls.transport.node_pool.all()} == {Urllib3HttpNode}


def test_answers_are_the_same_as_through_urllib3(es_url):
    lean = make_client(Settings(elasticsearch_url=es_url))
    usual = Elasticsearch(es_url, serializers=SERIALIZERS)
    aggs = {"i": {"terms": {"field": "_index"}}}
    searches = [{}, {"query": {"match_all": {}}, "size": 3}, {}, {"size": 0, "aggs": aggs}]
    expected = without_took(usual.msearch(searches=searches).body)
    assert without_took(lean.msearch(searches=searches).body) == expected
    missing = lean.options(ignore_status=404).get(index="no-such-index-anywhere", id="x")
    assert missing.meta.status == 404 and missing.meta.headers["content-type"].startswith("application/")


def test_a_node_that_never_answers_times_out_and_the_next_request_goes_through(es_url):
    server = BadServer("hang")
    try:
        client = make_client(Settings(elasticsearch_url=server.url, elasticsearch_timeout=0.5))
        start = time.monotonic()
        with pytest.raises(ConnectionTimeout):
            client.search(index="x")
        assert time.monotonic() - start < 3  # not retried: one timeout, not three
    finally:
        server.close()
    client = make_client(Settings(elasticsearch_url=es_url, elasticsearch_timeout=5))
    assert client.cluster.health()["status"] in ("green", "yellow")


def test_a_dropped_connection_is_a_connection_error_and_the_client_tries_the_next_node(es_url):
    server = BadServer("drop")
    try:
        lone = make_client(Settings(elasticsearch_url=server.url))
        with pytest.raises(ConnectionError):
            lone.search(index="x")
        both = make_client(Settings(elasticsearch_url=f"{server.url},{es_url}"))
        for _ in range(4):  # round robin: every other request meets the bad node first
            assert both.cluster.health().meta.status == 200
    finally:
        server.close()


def test_a_forked_worker_opens_its_own_connection(es_url):
    client = make_client(Settings(elasticsearch_url=es_url))
    client.cluster.health()  # the parent's connection is open
    pid = os.fork()
    if pid == 0:  # the child (a gunicorn worker) talks over a socket of its own
        try:
            ok = all(client.cluster.health().meta.status == 200 for _ in range(20))
        finally:
            os._exit(0 if ok else 1)
    for _ in range(20):  # meanwhile the parent keeps using its own
        assert client.cluster.health().meta.status == 200
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_kept_alive_connection_the_node_closed_is_replaced_without_an_error():
    """A node or a proxy in front of it may close an idle connection: the next request opens a
    new one instead of failing (and setting a healthy node aside)."""
    server = BadServer("answer once")
    try:
        client = make_client(Settings(elasticsearch_url=server.url)).options(max_retries=0)
        assert client.cluster.health()["status"] == "green"
        time.sleep(0.2)  # the server has closed the connection by now
        assert client.cluster.health()["status"] == "green"
    finally:
        server.close()


def test_connections_past_descriptor_1023_work(es_url):
    """A busy process (a test run, a worker with many files) holds high descriptor numbers."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(2048, hard), hard))
    filler = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        client = make_client(Settings(elasticsearch_url=es_url))
        for _ in range(3):  # the second and third reuse the connection, checked before each
            assert client.cluster.health().meta.status == 200
    finally:
        for fd in filler:
            os.close(fd)


def test_each_thread_has_its_own_connection_and_a_finished_threads_is_let_go(es_url):
    import gc

    client = make_client(Settings(elasticsearch_url=es_url))
    (node,) = client.transport.node_pool.all()
    seen = []
    together = threading.Barrier(8)  # every thread alive at once: no id is reused

    def search() -> None:
        assert client.cluster.health().meta.status == 200
        together.wait(timeout=30)
        seen.append(id(node._connection()))

    threads = [threading.Thread(target=search) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 8
    del threads
    gc.collect()
    assert len(node._connections) == 0  # no socket kept open for threads that are gone
    client.close()
