"""Moderation never looks at the rating: the checks cannot receive it, and a 1-star and a 5-star
review with the same text features travel exactly the same path, from submission through the
automatic checks and the queue to the administrator's decision and the public counts."""

import dataclasses
import inspect
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import consumer_reviews, listings, review_checks, review_moderation
from registry.consumer_reviews import Origin
from registry.db import open_store
from registry.models import Review, ReviewDecision
from registry.review_checks import Evidence, Submission, failed_checks

LISTING = {
    "id": "c",
    "name": "Glow Skin Studio",
    "address": {"city": "Raleigh", "state": "NC"},
    "email": "front@glowskin.example",
    "website": "https://www.glowskin.example/",
}
CLEAN = "Three sessions of microneedling for acne scars; the nurse explained every step and aftercare."


def test_no_check_can_receive_a_rating():
    for name, check in review_checks.CHECKS.items():
        assert list(inspect.signature(check).parameters) == ["sub", "evidence"], name
    for shape in (Submission, Evidence):
        assert not [f.name for f in dataclasses.fields(shape) if "rating" in f.name or "star" in f.name]
    assert "rating" not in inspect.signature(review_moderation.submission).parameters
    assert not [f.name for f in dataclasses.fields(review_moderation.QueueItem) if "rating" in f.name]


def evidence(**changes) -> Evidence:
    quiet = Evidence(
        0, (), 0, 0, 0, 0, frozenset({"front@glowskin.example"}), frozenset({"glowskin.example"})
    )
    return dataclasses.replace(quiet, **changes)


def submission(text: str = CLEAN, **changes) -> Submission:
    return dataclasses.replace(Submission("c", None, text, "Ana", "ana@mail.example", False), **changes)


@pytest.mark.parametrize(
    "sub, found, expected",
    [
        (submission(), evidence(), []),
        (submission("Book at www.cheap-needles.example for less"), evidence(), ["links-or-contact"]),
        (submission("Great! Text me on (704) 555-0199 for tips."), evidence(), ["links-or-contact"]),
        (submission("Ask for me at ana.b@mail.example, I work there."), evidence(), ["links-or-contact"]),
        (submission("Paid $1,200 for 3 sessions in 2025 and 4 more in 2026."), evidence(), []),
        (submission(), evidence(same_text=1), ["duplicate-text"]),
        (
            submission(),
            evidence(recent_texts=(CLEAN.replace("every step", "each step"),)),
            ["duplicate-text"],
        ),
        (submission(), evidence(recent_texts=("Lovely place, parking was easy and staff kind.",)), []),
        (submission(), evidence(same_reviewer=1), ["repeat-reviewer"]),
        (submission(), evidence(client_recent=3), ["burst"]),
        (submission(), evidence(network_recent=5), ["burst"]),
        (submission(), evidence(clinic_recent=20), ["burst"]),
        (submission(), evidence(client_recent=2, network_recent=4, clinic_recent=19), []),
        (submission(email="owner@glowskin.example"), evidence(), ["clinic-account"]),
        (submission(email="front@glowskin.example"), evidence(), ["clinic-account"]),
        (submission(by_clinic_account=True), evidence(), ["clinic-account"]),
    ],
)
def test_each_check_holds_what_it_says(sub, found, expected):
    assert failed_checks(sub, found) == expected


def test_short_common_phrases_are_not_duplicates():
    assert review_checks.fingerprint("Great results!") is None
    assert review_checks.fingerprint(CLEAN) == review_checks.fingerprint(CLEAN.upper().replace(";", " ,"))


# --- the same path whatever the rating ------------------------------------------------------------

SCENARIOS = {
    "clean": {"text": CLEAN},
    "link": {"text": CLEAN + " Details on glowdeals.com"},
    "duplicate": {"text": CLEAN, "before": [CLEAN]},
    "burst": {"text": CLEAN, "before": [f"Earlier review number {i} with enough words." for i in range(3)]},
    "clinic email": {"text": CLEAN, "email": "owner@glowskin.example"},
}


def trajectory(engine, rating: int, scenario: dict) -> dict:
    """Everything that happens to one review: checks, status, queue entry, decision, counts."""
    with Session(engine) as session, session.begin():
        listings.upsert(session, LISTING | {"reviews": []}, source="feed")
    origin = Origin(client_hash="client-1", network_hash="net-1")
    for i, text in enumerate(scenario.get("before", [])):  # earlier reviews, always 3 stars
        written = {"rating": 3, "text": text}
        token = consumer_reviews.submit(engine, "c", written, f"earlier{i}@mail.example", origin)
        consumer_reviews.confirm(engine, token)
    written = {"rating": rating, "title": "My visit", "text": scenario["text"], "author": "Ana"}
    token = consumer_reviews.submit(engine, "c", written, scenario.get("email", "ana@mail.example"), origin)
    outcome = consumer_reviews.confirm(engine, token)
    queued = [dataclasses.asdict(i) for i in review_moderation.queue(engine) if i.key == outcome.review.id]
    for item in queued:
        item.pop("key"), item.pop("flags")
    if outcome.review.status == "held":
        review_moderation.decide(engine, outcome.review.id, "remove", "spam", "admin@directory.test")
    with Session(engine) as session:
        final = session.get(Review, outcome.review.id).status
        decisions = [
            (d.action, d.reason, d.actor)
            for d in session.scalars(
                select(ReviewDecision)
                .where(ReviewDecision.review_id == outcome.review.id)
                .order_by(ReviewDecision.id)
            )
        ]
    return {
        "held_for": outcome.held_for,
        "status_after_checks": outcome.review.status,
        "queue": queued,
        "final": final,
        "decisions": decisions,
        "counts": review_moderation.counts(engine, "c"),
    }


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_one_star_and_a_five_star_review_travel_the_same_path(tmp_path, name):
    paths = {}
    for rating in (1, 5):
        engine = open_store(f"sqlite:///{tmp_path / f'{rating}.sqlite3'}")
        paths[rating] = trajectory(engine, rating, SCENARIOS[name])
        engine.dispose()
    assert paths[1] == paths[5]
    expected = {
        "clean": [],
        "link": ["links-or-contact"],
        "duplicate": ["duplicate-text"],
        "burst": ["burst"],
    }
    assert paths[1]["held_for"] == expected.get(name, ["clinic-account"])
    assert bool(paths[1]["queue"]) == bool(paths[1]["held_for"])


def test_bursts_are_counted_around_the_time_a_review_was_written(engine):
    with Session(engine) as session, session.begin():
        listings.upsert(session, LISTING | {"reviews": []}, source="feed")
    origin = Origin(client_hash="same-device")
    tokens = [
        consumer_reviews.submit(
            engine,
            "c",
            {"rating": 4, "text": f"Visit story number {i}, nothing odd."},
            f"p{i}@x.example",
            origin,
        )
        for i in range(4)
    ]
    with Session(engine) as session, session.begin():  # the first three were written two days ago
        for review in session.scalars(select(Review).order_by(Review.id).limit(3)):
            review.created_at = review.created_at - timedelta(days=2)
    assert [consumer_reviews.confirm(engine, t).held_for for t in tokens] == [[], [], [], []]
