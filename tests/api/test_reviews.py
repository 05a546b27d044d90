"""GET /api/v1/providers/<id>/reviews and /reviews/summary: every published review exactly once
across the cursor's pages, in each order, for a clinic with several hundred reviews."""

import random
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from directory import create_app
from directory.api import schemas
from directory.api.reviews import ReviewList, ReviewSummary
from registry import consultations, consumer_reviews, listings, review_moderation, reviews
from registry.consumer_reviews import Origin
from registry.models import Review
from registry.schema import ClinicRecord
from registry.settings import Settings
from tests.registry.test_reviews import some_reviews

CLINIC = {
    "id": "busy",
    "name": "Busy Clinic",
    "address": {"city": "Raleigh", "state": "NC"},
    "location": {"lat": 35.78, "lon": -78.64},
}


@pytest.fixture(scope="module")
def busy(es_url, fresh_store, new_alias, tmp_path_factory):
    """A listing with 300 feed reviews (many ties) and 60 of consumers' in every state, in a store
    of its own that the tests only read (the API reads reviews from the store, not the index)."""
    tmp = tmp_path_factory.mktemp("busy")
    with fresh_store(tmp) as url:
        settings = Settings(elasticsearch_url=es_url, index=new_alias("busy"), database_url=url)
        app = create_app({"SETTINGS": settings, "TESTING": True, "RATELIMIT_ENABLED": False})
        yield fill(app)
        app.extensions["store"].dispose()


def fill(app) -> SimpleNamespace:
    engine = app.extensions["store"]
    rng = random.Random(3)
    feed = [r | {"id": f"x{i}{r['id']}"} for i in range(6) for r in some_reviews(50, i + 1)]
    feed = [r | {"source": "RealSelf"} if i % 3 == 0 else r for i, r in enumerate(feed)]
    with Session(engine) as session, session.begin():
        record = ClinicRecord().dump(ClinicRecord().load(CLINIC | {"reviews": feed}))
        listings.upsert(session, record, source="feed")
    staff = SimpleNamespace(email="s@busy.example", can_edit=lambda clinic_id: clinic_id == "busy")
    for i in range(60):
        written = {
            "rating": rng.randint(1, 5),
            "text": f"Consumer review {i}: " + "details " * rng.randint(3, 9),
        }
        if i % 3 == 0:
            data = {"name": f"P{i}", "email": f"v{i}@x.example", "consent": True}
            created = consultations.create(engine, "busy", data, None)
            token = consultations.move(engine, created.request.id, "completed", staff).invitation_token
            consumer_reviews.write_invited(engine, token, written, Origin())
            continue
        token = consumer_reviews.submit(engine, "busy", written, f"c{i}@x.example", Origin())
        if i % 10 != 1:  # some never confirmed
            consumer_reviews.confirm(engine, token)
    # So many reviews of one clinic in a day are a burst: an administrator publishes the held ones.
    for item in review_moderation.queue(engine)[3:]:
        review_moderation.decide(engine, item.key, "publish", "", "admin@directory.test")
    with Session(engine) as session, session.begin():
        consumer = list(
            session.scalars(select(Review).where(Review.kind != "feed", Review.status == "published"))
        )
        for review in consumer[:5]:
            reviews.change(session, review, status="removed")
        for review in consumer[5:25]:
            session.execute(update(Review).where(Review.id == review.id).values(helpful=rng.randint(0, 3)))
    with Session(engine) as session:
        published = {
            r.review_id: r
            for r in session.scalars(
                select(Review).where(Review.clinic_id == "busy", Review.status == "published")
            )
        }
    assert len(published) > 300 and len({r.kind for r in published.values()}) == 3
    return SimpleNamespace(client=app.test_client(), published=published, engine=engine)


def every_page(client, **params) -> tuple[list[dict], int]:
    items, cursor, pages = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        resp = client.get("/api/v1/providers/busy/reviews", query_string=query)
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert ReviewList().validate(body) == {}
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            assert body["total"] == len(items)
            return items, pages


@pytest.mark.parametrize("sort", reviews.SORTS)
def test_every_published_review_comes_exactly_once_in_each_order(busy, sort):
    for limit, verified_only in ((7, False), (100, False), (5, True)):
        items, pages = every_page(
            busy.client, sort=sort, limit=limit, verified_only=str(verified_only).lower()
        )
        expected = {i for i, r in busy.published.items() if not verified_only or r.kind == "verified-visit"}
        ids = [r["id"] for r in items]
        assert len(ids) == len(set(ids)) and set(ids) == expected
        assert pages == max(1, -(-len(expected) // limit)), "no empty last page"
        with Session(busy.engine) as session:
            reference = reviews.page(session, "busy", sort, 1, 1000, verified_only)
        assert ids == [r.id for r in reference]
        if verified_only:
            assert {r["verification"] for r in items} == {"verified-visit"} and all(
                r["verified"] for r in items
            )


def test_each_review_says_where_it_comes_from(busy):
    items, _ = every_page(busy.client, limit=100)
    labels = {(r["verification"], r["label"]) for r in items}
    assert labels == {
        ("feed", "From RealSelf"),
        ("feed", "From a partner site"),
        ("verified-visit", "Verified visit"),
        ("confirmed", "Confirmed reviewer"),
    }
    assert not [r for r in items if r["verified"] != (r["verification"] == "verified-visit")]


def test_bad_cursors_and_unknown_providers_are_problems(busy):
    first = busy.client.get("/api/v1/providers/busy/reviews?limit=2").get_json()
    for query in ("cursor=garbage", f"cursor={first['next_cursor']}&sort=lowest", "sort=random", "limit=0"):
        resp = busy.client.get(f"/api/v1/providers/busy/reviews?{query}")
        assert resp.status_code == 400 and resp.mimetype == "application/problem+json", query
    assert busy.client.get("/api/v1/providers/nobody/reviews").status_code == 404
    assert busy.client.get("/api/v1/providers/nobody/reviews/summary").status_code == 404


def test_the_summary_and_the_detail_agree_with_the_pages(busy):
    summary = busy.client.get("/api/v1/providers/busy/reviews/summary").get_json()
    assert ReviewSummary().validate(summary) == {}
    verified = [r for r in busy.published.values() if r.kind == "verified-visit"]
    assert summary["rating"]["count"] == len(busy.published)
    assert summary["verified_visits"]["count"] == summary["rating"]["verified_count"] == len(verified)
    assert summary["rating"]["verified_share"] == round(len(verified) / len(busy.published), 4)
    assert summary["moderation"]["removed"] == {"total": 0, "reasons": {}}, (
        "status changes outside moderation"
    )
    moderation = summary["moderation"]
    assert moderation["held_reviews"] == moderation["by_action"]["publish"]["within-policy"] + 3
    detail = busy.client.get("/api/v1/providers/busy?verified_only=true&review_limit=50").get_json()
    assert schemas.ProviderDetail().validate(detail) == {}
    assert detail["reviews"]["total"] == len(verified) and {
        r["verification"] for r in detail["reviews"]["items"]
    } == {"verified-visit"}


def test_the_openapi_document_has_the_review_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {
        "/api/v1/providers/{provider_id}/reviews",
        "/api/v1/providers/{provider_id}/reviews/summary",
    } <= set(spec["paths"])
    parameters = {
        p["name"] for p in spec["paths"]["/api/v1/providers/{provider_id}/reviews"]["get"]["parameters"]
    }
    assert {"sort", "verified_only", "limit", "cursor"} <= parameters
