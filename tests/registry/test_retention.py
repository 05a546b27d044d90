"""registry/retention.py: contact details erased after the period or on request; never-confirmed
reviews deleted; what was published stays."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry import consultations, consumer_reviews, listings, retention
from registry.consumer_reviews import Origin
from registry.db import now
from registry.models import ConsultationRequest, Review


def setup(engine):
    with Session(engine) as session, session.begin():
        record = {"id": "a", "name": "A", "address": {"city": "Raleigh", "state": "NC"}}
        listings.upsert(session, record, source="feed")
    old = consultations.create(engine, "a", {"name": "Old", "email": "old@x.example", "consent": True}, "h1")
    new = consultations.create(engine, "a", {"name": "New", "email": "new@x.example", "consent": True}, "h2")
    written = {"rating": 2, "text": "Friendly front desk but my skin stayed red for a week.", "author": "Bo"}
    published = consumer_reviews.confirm(
        engine, consumer_reviews.submit(engine, "a", written, "old@x.example", Origin("c1", "n1"))
    ).review
    unconfirmed = consumer_reviews.submit(
        engine, "a", written | {"text": written["text"] + " Again."}, "u@x.example", Origin()
    )
    return old.request.id, new.request.id, published.id, unconfirmed


def test_the_scheduled_run_erases_what_is_past_the_period(engine):
    old_id, new_id, review_id, _ = setup(engine)
    past = now() - timedelta(days=400)
    with Session(engine) as session, session.begin():
        session.execute(
            update(ConsultationRequest).where(ConsultationRequest.id == old_id).values(state_changed_at=past)
        )
        session.execute(update(Review).where(Review.id == review_id).values(changed_at=past))
        session.execute(
            update(Review).where(Review.status == "unconfirmed").values(created_at=now() - timedelta(days=8))
        )
    erased = retention.erase_expired(engine, days=365)
    assert (erased.requests, erased.reviews, erased.unconfirmed) == (1, 1, 1)
    with Session(engine) as session:
        old, new = session.get(ConsultationRequest, old_id), session.get(ConsultationRequest, new_id)
        assert old.email is None and old.erased_at and new.email == "new@x.example"
        review = session.get(Review, review_id)
        assert (review.email, review.client_hash, review.network_hash) == (None, None, None)
        assert review.status == "published" and review.content["author"] == "Bo", "what was published stays"
        assert session.scalar(select(Review).where(Review.status == "unconfirmed")) is None
    assert retention.erase_expired(engine, days=365).summary().startswith("erased the contact details of 0")


def test_erasing_on_request_takes_one_persons_details_at_once(engine):
    old_id, new_id, review_id, _ = setup(engine)
    erased = retention.erase_email(engine, " OLD@x.example ")
    assert (erased.requests, erased.reviews) == (1, 1)
    with Session(engine) as session:
        assert session.get(ConsultationRequest, old_id).name is None
        assert session.get(ConsultationRequest, new_id).name == "New"
        assert session.get(Review, review_id).email is None
