"""registry/listings.py: feed rows in, records out, the edit service. No Elasticsearch node needed."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from registry import listings
from registry.db import as_utc, now
from registry.derive import Ratings
from registry.listings import FeedRow
from registry.models import AuditEntry, Clinic, CredentialClaim, OutboxEntry, Review


def test_migrations_create_the_schema(engine):
    tables = set(inspect(engine).get_table_names())
    assert {"clinics", "reviews", "review_stats", "rate_limits", "alembic_version"} <= tables


def test_an_older_feed_row_never_overwrites_a_newer_listing(engine):
    newer = {"id": "c1", "name": "Edited by clinic", "updated_at": "2026-10-01T00:00:00+00:00"}
    older = {"id": "c1", "name": "Old feed row", "updated_at": "2026-01-01T00:00:00+00:00"}
    with Session(engine) as session, session.begin():
        assert listings.upsert(session, newer, source="clinic")
    with Session(engine) as session, session.begin():
        assert not listings.upsert(session, older, source="feed")
    with Session(engine) as session:
        assert [r["name"] for r in listings.iter_records(session)] == ["Edited by clinic"]


def test_iter_records_streams_every_row_in_batches(engine):
    with Session(engine) as session, session.begin():
        for i in range(25):
            listings.upsert(session, {"id": f"c{i:02d}"}, source="feed")
    with Session(engine) as session:
        ids = [r["id"] for r in listings.iter_records(session, batch=7)]
        streamed = [one.record["id"] for one in listings.iter_listings(session, batch=7)]
    assert ids == streamed == [f"c{i:02d}" for i in range(25)]


def listing(rid: str, name: str, updated_at: str | None) -> dict:
    return {"id": rid, "name": name, "updated_at": updated_at}


def test_upsert_many_inserts_new_rows_and_keeps_newer_ones_as_upsert_does(engine):
    first = [listing("a", "A", "2026-05-01T00:00:00+00:00"), listing("b", "B", "2026-05-01T00:00:00+00:00")]
    with Session(engine) as session, session.begin():
        stored, kept = listings.upsert_many(session, [FeedRow.of(r) for r in first], source="feed")
    assert (stored, kept) == (["a", "b"], 0)
    second = [
        listing("a", "A older", "2026-01-01T00:00:00+00:00"),
        listing("b", "B first", "2026-06-01T00:00:00+00:00"),
        listing("b", "B newer", "2026-07-01T00:00:00+00:00"),  # the last row of an id wins
        listing("c", "C", None),
    ]
    with Session(engine) as session, session.begin():
        stored, kept = listings.upsert_many(session, [FeedRow.of(r) for r in second], source="feed")
    assert (stored, kept) == (["b", "c"], 1)
    with Session(engine) as session:
        rows = {c.id: c for c in session.scalars(select(Clinic))}
        actions = [(e.clinic_id, e.action, e.changes) for e in session.scalars(select(AuditEntry))]
    assert {i: (r.record["name"], r.version) for i, r in rows.items()} == {
        "a": ("A", 1),
        "b": ("B newer", 2),
        "c": ("C", 1),
    }
    assert rows["b"].record == second[2]
    assert actions == [
        ("a", "kept-newer", {"updated_at": ["2026-05-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"]}),
        (
            "b",
            "update",
            {"name": ["B", "B newer"], "updated_at": [first[1]["updated_at"], second[2]["updated_at"]]},
        ),
    ]


def review(rid: str, rating: int, day: str, **fields) -> dict:
    """A review as the schema returns it: every field, in the schema's order."""
    blank = {"id": rid, "rating": rating, "title": None, "text": "", "author": None, "date": day}
    return blank | {"verified": False} | fields


def test_json_columns_and_reviews_read_back_what_was_written(engine):
    odd = {
        "id": "odd",
        "name": "Clínica ✨ \u2028",
        "big": 10**30,
        "small": -0.0,
        "nested": {"1": [1.5, None]},
        "reviews": [
            review(
                "r1", 5, "2026-01-02", title="NUL \x00 and a lone \ud800", text="Ünïcode ✨", author="Zoë"
            ),
            review("r0", 1, "2025-12-31", text="x" * 10000),
        ],
    }
    with Session(engine) as session, session.begin():
        listings.upsert_many(session, [FeedRow.of(odd)], source="feed")
        listings.upsert(session, {**odd, "id": "odd-2"}, source="feed")
    with Session(engine) as session:
        records = list(listings.iter_records(session))
        stored = session.get(Clinic, "odd").record
    assert [repr(r) for r in records] == [repr(odd), repr({**odd, "id": "odd-2"})]
    assert "reviews" not in stored  # reviews live in their own table


def test_a_feed_row_replaces_the_reviews_and_their_aggregates(engine):
    record = {"id": "c", "name": "C", "reviews": [review("a", 5, "2026-01-01"), review("b", 3, "2026-01-02")]}
    with Session(engine) as session, session.begin():
        listings.upsert(session, record, source="feed")
    with Session(engine) as session:
        assert listings.get(session, "c").ratings == Ratings(three=1, five=1)
    fewer = {**record, "reviews": [review("c", 1, "2026-02-01")]}
    with Session(engine) as session, session.begin():
        listings.upsert(session, fewer, source="feed")
    with Session(engine) as session:
        assert listings.get(session, "c").ratings == Ratings(one=1)
        assert [r.review_id for r in session.scalars(select(Review))] == ["c"]
        assert [e.changes for e in session.scalars(select(AuditEntry))] == []  # no review text audited


def feed(engine, *records) -> None:
    with Session(engine) as session, session.begin():
        for record in records:
            listings.upsert(session, record, source="feed")


def test_save_checks_the_version_and_writes_listing_audit_claims_and_outbox_together(engine):
    feed(engine, {"id": "c", "name": "C", "updated_at": "2026-01-01T00:00:00+00:00"})
    before = now()
    claim = {"code": "registered-nurse", "number": "RN-1"}
    record = {"id": "c", "name": "C2", "reviews": []}
    listings.save(engine, "c", record, version="1", actor="me@c.test", source="clinic", claims=[claim])
    with Session(engine) as session:
        row = session.get(Clinic, "c")
        assert row.record == {"id": "c", "name": "C2", "updated_at": row.record["updated_at"]}
        assert as_utc(row.updated_at) >= before and as_utc(row.changed_at) >= before
        assert row.record["updated_at"] == as_utc(row.updated_at).isoformat()
        assert row.version == 2 and row.source == "clinic"
        [entry] = session.scalars(select(AuditEntry))
        assert (entry.action, entry.actor, entry.changes) == ("edit", "me@c.test", {"name": ["C", "C2"]})
        assert [c.status for c in session.scalars(select(CredentialClaim))] == ["pending"]
        assert [o.clinic_id for o in session.scalars(select(OutboxEntry))] == ["c"]
    with pytest.raises(listings.VersionConflict):  # the form was opened at version 1
        listings.save(engine, "c", {"id": "c", "name": "C3"}, version="1", actor="x", source="clinic")
    with Session(engine) as session:
        assert session.get(Clinic, "c").record["name"] == "C2"


def test_a_claim_decision_bumps_updated_at_and_queues_the_listing(engine):
    cert = {"code": "registered-nurse", "number": "RN-1", "verified": False}
    feed(
        engine, {"id": "c", "name": "C", "certifications": [cert], "updated_at": "2026-01-01T00:00:00+00:00"}
    )
    with Session(engine) as session, session.begin():
        session.add(CredentialClaim(clinic_id="c", code="registered-nurse", number="RN-1", status="pending",
                                    created_at=now()))  # fmt: skip
    assert listings.decide_claim(engine, 1, "verify", None, "admin@test") == "verified"
    assert listings.decide_claim(engine, 1, "verify", None, "admin@test") is None  # decided already
    with Session(engine) as session:
        row = session.get(Clinic, "c")
        assert row.record["certifications"][0]["verified"] is True
        assert as_utc(row.updated_at) > now() - timedelta(minutes=1)
        assert row.record["updated_at"] == as_utc(row.updated_at).isoformat()
        assert [o.clinic_id for o in session.scalars(select(OutboxEntry))] == ["c"]
        assert [e.action for e in session.scalars(select(AuditEntry))] == ["credential-verified"]


def test_changed_since_finds_listing_and_review_writes_but_not_the_callers_own(engine):
    start = now()
    with Session(engine) as session, session.begin():
        listings.upsert(session, {"id": "own", "name": "Own"}, source="feed", changed_at=start)
        listings.upsert(session, {"id": "other", "name": "Other"}, source="feed")
    with Session(engine) as session:
        assert listings.changed_since(session, start, except_at=start) == ["other"]
        assert listings.changed_since(session, start) == ["other", "own"]
        assert listings.changed_since(session, now() + timedelta(seconds=1)) == []


def test_export_gives_records_back_exactly_as_fed(engine):
    from pathlib import Path

    from registry.schema import ClinicRecord, dump_loaded

    lines = (Path(__file__).parents[2] / "fixtures" / "clinics.ndjson").read_text().splitlines()[:40]
    records = [dump_loaded(ClinicRecord().load(json.loads(line))) for line in lines if "location" in line]
    assert sum(len(r["reviews"]) for r in records) > 100
    feed(engine, *records)
    with Session(engine) as session:
        exported = list(listings.export(session, as_utc(now() - timedelta(days=36500))))
    by_id = {r["id"]: json.dumps(r, ensure_ascii=False) for r in exported}
    assert by_id == {r["id"]: json.dumps(r, ensure_ascii=False) for r in records}
