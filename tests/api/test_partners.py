"""Partner keys, per-key rate limits shared across app processes, CORS, and failure modes."""

import time

import pytest

from directory import create_app
from registry import partners
from registry.settings import Settings


def make_partner(app, name="acme", rate_limit="600 per minute", origins=()):
    return partners.create(app.extensions["store"], name, rate_limit, list(origins))


def test_cli_creates_lists_and_revokes_keys(directory_app):
    runner = directory_app.test_cli_runner()
    created = runner.invoke(
        args=[
            "partners",
            "create",
            "cli-partner",
            "--rate-limit",
            "5 per minute",
            "--origin",
            "https://widget.example",
        ]
    )
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    client = directory_app.test_client()
    assert client.get("/api/v1/suggest?q=a", headers={"X-API-Key": key}).status_code == 200
    listed = runner.invoke(args=["partners", "list"])
    assert "cli-partner" in listed.output and key not in listed.output
    assert runner.invoke(args=["partners", "revoke", "cli-partner"]).exit_code == 0
    resp = client.get("/api/v1/suggest?q=a", headers={"X-API-Key": key})
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    bad_rate = runner.invoke(args=["partners", "create", "x", "--rate-limit", "lots"])
    assert bad_rate.exit_code != 0


def test_keys_are_stored_hashed(directory_app):
    key = make_partner(directory_app, "hashed")
    from sqlalchemy import text

    with directory_app.extensions["store"].connect() as conn:
        stored = conn.execute(text("SELECT key_hash, key_prefix FROM partners WHERE name='hashed'")).one()
    assert key not in stored.key_hash and len(stored.key_hash) == 64


def test_unknown_key_is_refused(directory_app):
    resp = directory_app.test_client().get("/api/v1/providers", headers={"X-API-Key": "pd_not-a-key"})
    assert resp.status_code == 401


def test_over_limit_key_gets_429_with_retry_after_across_processes(directory_settings):
    # Two app instances stand for two gunicorn workers (or hosts) sharing one store. Each counts
    # in memory and may admit one hit of "3 per minute" (its share of a 1 s flush interval) that
    # the other cannot see yet: at most 3 - 1 + 2 x 1 = 4 get through (directory/ratelimit.py).
    worker_a = create_app({"SETTINGS": directory_settings})
    worker_b = create_app({"SETTINGS": directory_settings})
    key = make_partner(worker_a, "limited", rate_limit="3 per minute")
    headers = {"X-API-Key": key}
    answers = [w.test_client().get("/api/v1/suggest?q=ch", headers=headers) for w in (worker_a, worker_b) * 5]
    codes = [a.status_code for a in answers]
    assert 3 <= codes.count(200) <= 4 and codes.count(429) == 10 - codes.count(200), codes
    resp = next(a for a in answers if a.status_code == 429)
    assert resp.mimetype == "application/problem+json"
    assert 0 < int(resp.headers["Retry-After"]) <= 60
    assert resp.headers["X-RateLimit-Limit"] == "3" and resp.headers["X-RateLimit-Remaining"] == "0"
    assert resp.headers["RateLimit-Policy"] == '"partner";q=3;w=60'
    assert resp.headers["RateLimit"].startswith('"partner";r=0;t=')
    other = make_partner(worker_a, "unaffected", rate_limit="3 per minute")
    assert worker_b.test_client().get("/api/v1/suggest?q=ch", headers={"X-API-Key": other}).status_code == 200


def test_anonymous_callers_share_a_small_limit(directory_app):
    client = directory_app.test_client()
    resp = client.get("/api/v1/suggest?q=ch", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert resp.status_code == 200 and resp.headers["X-RateLimit-Limit"] == "60"
    assert resp.headers["RateLimit-Policy"] == '"anonymous";q=60;w=60'
    assert resp.headers["RateLimit"].startswith('"anonymous";r=59;t=')


def test_cors_allows_only_the_origins_of_the_calling_key(directory_app):
    key = make_partner(directory_app, "widget", origins=["https://clinics.example"])
    client = directory_app.test_client()
    ok = client.get("/api/v1/suggest?q=ch", headers={"X-API-Key": key, "Origin": "https://clinics.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://clinics.example"
    other = client.get("/api/v1/suggest?q=ch", headers={"X-API-Key": key, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/api/v1/providers",
        headers={
            "Origin": "https://clinics.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "X-API-Key",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://clinics.example"
    assert "X-API-Key" in preflight.headers["Access-Control-Allow-Headers"]


def test_search_answers_503_quickly_when_elasticsearch_is_down(tmp_path):
    settings = Settings(elasticsearch_url="http://127.0.0.1:9", database_url=f"sqlite:///{tmp_path}/s.db")
    client = create_app({"SETTINGS": settings}).test_client()
    started = time.monotonic()
    resp = client.get("/api/v1/providers?location=28202")
    assert resp.status_code == 503
    assert time.monotonic() - started < 2
    assert resp.mimetype == "application/problem+json" and resp.headers["Retry-After"]


def test_openapi_document_validates_and_documents_every_parameter(directory_app):
    from openapi_spec_validator import validate

    spec = directory_app.test_client().get("/api/v1/openapi.json").get_json()
    validate(spec)
    params = {p["name"] for p in spec["paths"]["/api/v1/providers"]["get"]["parameters"]}
    assert {
        "lat",
        "lon",
        "location",
        "bbox",
        "radius",
        "q",
        "treatment",
        "certification",
        "qualified",
        "min_rating",
        "min_reviews",
        "max_price",
        "open_now",
        "sort",
        "limit",
        "cursor",
        "explain",
        "literal",
    } <= params
    schemas = spec["components"]["schemas"]
    assert "interpreted" in schemas["SearchResponse"]["properties"]
    assert {"treatments", "credentials", "place", "alternatives", "text", "dropped"} <= set(
        schemas["Interpreted"]["properties"]
    )
    for path in ("/api/v1/providers/{provider_id}", "/api/v1/suggest", "/api/v1/providers/export"):
        assert path in spec["paths"]
    assert "400" in spec["paths"]["/api/v1/providers"]["get"]["responses"]


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/providers/%00"])
def test_unknown_api_paths_are_problem_documents(directory_app, path):
    resp = directory_app.test_client().get(path)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
