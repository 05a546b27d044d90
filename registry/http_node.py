"""A lean HTTP node for elasticsearch-py: the standard library's http.client, one kept-alive
connection per thread, instead of urllib3's pool.

Every API search is one `_msearch` round trip, and urllib3's layer over http.client (pool
queue, a liveness poll before each reuse, retry and header objects) cost about 0.3 ms of CPU
per call, a tenth of the app's whole cost per request (benchmarks/README.md, "The second round").
This node keeps what the client relies on: the node's configured headers, gzip when
`http_compress` is set, the request timeout per call, and the transport's exceptions
(`ConnectionError` when the node cannot be reached or drops the connection, `ConnectionTimeout`
when it does not answer in time), so retries, marking a node dead and sniffing work unchanged.
It speaks plain HTTP only: `make_client` keeps urllib3's node for `https://` hosts, with its
certificate options.
"""

from __future__ import annotations

import gzip
import http.client
import os
import select
import socket
import threading
import time
import weakref

from elastic_transport import (
    ApiResponseMeta,
    BaseNode,
    ConnectionError,
    ConnectionTimeout,
    HttpHeaders,
    NodeConfig,
)
from elastic_transport._node._base import NodeApiResponse
from elastic_transport.client_utils import DEFAULT


class HttpClientNode(BaseNode):
    _CLIENT_META_HTTP_CLIENT = ("hc", http.client.__name__)

    def __init__(self, config: NodeConfig) -> None:
        if config.scheme != "http":
            raise ValueError("HttpClientNode speaks plain HTTP; use urllib3's node for https")
        super().__init__(config)
        self._local = threading.local()
        # Every thread's, for close(); a finished thread's goes with it.
        self._connections: weakref.WeakSet[http.client.HTTPConnection] = weakref.WeakSet()
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        """This thread's connection; a forked process (a gunicorn worker) never uses its parent's."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.config.request_timeout)
            local.pid = os.getpid()
            with self._lock:
                self._connections.add(local.conn)
        elif local.conn.sock is not None and _readable(local.conn.sock):
            # Readable while idle: the node (or a proxy in front of it) closed the kept-alive
            # connection. A new one is opened rather than failing the request on the old one.
            local.conn.close()
        return local.conn

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout=DEFAULT,
    ) -> NodeApiResponse:
        target = f"{self.path_prefix}{target}"
        request_headers = self._headers.copy()
        if headers:
            request_headers.update(headers)
        if body and self._http_compress:
            body = gzip.compress(body)
            request_headers["content-encoding"] = "gzip"
        timeout = self.config.request_timeout if request_timeout is DEFAULT else request_timeout
        conn = self._connection()
        start = time.time()
        try:
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            else:
                conn.timeout = timeout
            conn.request(method, target, body=body, headers=dict(request_headers))
            response = conn.getresponse()
            data = response.read()
        except Exception as err:
            conn.close()  # half a conversation: the next request starts a new connection
            if isinstance(err, (TimeoutError, socket.timeout)):
                failure = ConnectionTimeout("Connection timed out during request", errors=(err,))
            elif isinstance(err, (OSError, http.client.HTTPException)):
                failure = ConnectionError(str(err), errors=(err,))
            else:
                raise
            self._log_request(
                method=method, target=target, headers=request_headers, body=body, exception=failure
            )
            raise failure from err
        if response.will_close:
            conn.close()
        response_headers = HttpHeaders(response.getheaders())
        if response_headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        meta = ApiResponseMeta(
            node=self.config,
            duration=time.time() - start,
            http_version="1.1",
            status=response.status,
            headers=response_headers,
        )
        self._log_request(
            method=method, target=target, headers=request_headers, body=body, meta=meta, response=data
        )
        return NodeApiResponse(meta, data)

    def close(self) -> None:
        with self._lock:
            for conn in list(self._connections):
                conn.close()
            self._connections.clear()
        self._local = threading.local()


def _readable(sock: socket.socket) -> bool:
    """Data or end of stream waiting on `sock` (poll: select() cannot watch descriptors past 1023)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
