"""The floor under the API: what any Python service on the project's fixed stack pays per search.

Two stand-ins for the app, served by the project's gunicorn.conf.py like the app itself
(`levers.py --variant "floor=.:BENCH_APP=benchmarks.floor_app:wsgi()"`), answering the same
URLs of the benchmark's mix:

- `wsgi()`: a bare WSGI function. It looks the URL up in the requests the benchmark captured
  from the API (the `_msearch` the API would send, already serialized), sends it through the
  official client's transport (`registry.settings.make_client`, as the app builds it),
  and writes the engine's parsed answer back as JSON with orjson. No validation, no query
  building, no result summaries, no framework: gunicorn + elasticsearch-py + JSON both ways.
- `flask_app()`: the same inside one Flask route, to show what the framework's dispatch adds.

The requests come from the JSON file named by `BENCH_FLOOR_REQUESTS` ({url: [target, body]}),
written by levers.py after it has built the mix and read on the first search.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
from flask import Flask, Response, request

from registry.settings import Settings, make_client

HEADERS = {
    "accept": "application/vnd.elasticsearch+json; compatible-with=9",
    "content-type": "application/vnd.elasticsearch+x-ndjson; compatible-with=9",
}


class Forwarder:
    """One API URL in, the engine's answer to its captured `_msearch` out (as JSON bytes)."""

    def __init__(self) -> None:
        self.client = make_client(Settings.from_env())
        self.requests: dict[str, tuple[str, bytes]] | None = None

    def answer(self, url: str) -> bytes | None:
        if self.requests is None:
            raw = json.loads(Path(os.environ["BENCH_FLOOR_REQUESTS"]).read_text())
            self.requests = {u: (target, body.encode()) for u, (target, body) in raw.items()}
        found = self.requests.get(url)
        if found is None:
            return None
        target, body = found
        resp = self.client.transport.perform_request("POST", target, headers=HEADERS, body=body)
        return orjson.dumps(resp.body)


def _url(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def wsgi():
    forwarder = Forwarder()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/healthz":
            body = b"ok"
        else:
            body = forwarder.answer(_url(environ["PATH_INFO"], environ.get("QUERY_STRING", "")))
        if body is None:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def flask_app() -> Flask:
    app = Flask(__name__)
    forwarder = Forwarder()

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.get("/api/v1/providers")
    def providers():
        body = forwarder.answer(_url(request.path, request.query_string.decode()))
        if body is None:
            return Response(status=404)
        return Response(body, mimetype="application/json")

    return app
