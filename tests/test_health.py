from directory import create_app
from registry.settings import Settings


def test_healthz_reports_the_served_document_count(directory_app, directory_settings, es):
    resp = directory_app.test_client().get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["elasticsearch"]["reachable"] is True
    assert body["index"]["documents"] == es.count(index=directory_settings.index)["count"] > 300


def test_healthz_without_an_index_is_degraded(client):
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["index"]["documents"] is None


def test_healthz_when_elasticsearch_is_unreachable():
    app = create_app({"SETTINGS": Settings(elasticsearch_url="http://127.0.0.1:9", elasticsearch_timeout=1)})
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["elasticsearch"]["reachable"] is False
