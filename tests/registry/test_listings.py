from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from registry import listings, models


def test_migrations_create_the_schema(engine):
    assert "clinics" in inspect(engine).get_table_names()
    assert "alembic_version" in inspect(engine).get_table_names()


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
    assert ids == [f"c{i:02d}" for i in range(25)]


def listing(rid: str, name: str, updated_at: str | None) -> dict:
    return {"id": rid, "name": name, "updated_at": updated_at}


def test_upsert_many_inserts_new_rows_and_keeps_newer_ones_as_upsert_does(engine):
    first = [listing("a", "A", "2026-05-01T00:00:00+00:00"), listing("b", "B", "2026-05-01T00:00:00+00:00")]
    with Session(engine) as session, session.begin():
        stored, kept = listings.upsert_many(
            session, [listings.Serialized.of(r) for r in first], source="feed"
        )
    assert (stored, kept) == (["a", "b"], 0)
    second = [
        listing("a", "A older", "2026-01-01T00:00:00+00:00"),
        listing("b", "B first", "2026-06-01T00:00:00+00:00"),
        listing("b", "B newer", "2026-07-01T00:00:00+00:00"),  # the last row of an id wins
        listing("c", "C", None),
    ]
    with Session(engine) as session, session.begin():
        stored, kept = listings.upsert_many(
            session, [listings.Serialized.of(r) for r in second], source="feed"
        )
    assert (stored, kept) == (["b", "c"], 1)
    with Session(engine) as session:
        rows = {c.id: c for c in session.scalars(select(models.Clinic))}
        actions = [(e.clinic_id, e.action, e.changes) for e in session.scalars(select(models.AuditEntry))]
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


def test_json_columns_read_back_what_was_written(engine):
    odd = {
        "id": "odd",
        "name": "Clínica ✨ \u2028",
        "big": 10**30,
        "small": -0.0,
        "nested": {"1": [1.5, None]},
    }
    with Session(engine) as session, session.begin():
        listings.upsert_many(session, [listings.Serialized.of(odd)], source="feed")
        listings.upsert(session, {**odd, "id": "odd-2"}, source="feed")
    with Session(engine) as session:
        records = list(listings.iter_records(session))
    assert [repr(r) for r in records] == [repr(odd), repr({**odd, "id": "odd-2"})]
