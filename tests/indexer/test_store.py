from sqlalchemy import inspect
from sqlalchemy.orm import Session

from indexer import store


def test_migrations_create_the_schema(engine):
    assert "clinics" in inspect(engine).get_table_names()
    assert "alembic_version" in inspect(engine).get_table_names()


def test_an_older_feed_row_never_overwrites_a_newer_listing(engine):
    newer = {"id": "c1", "name": "Edited by clinic", "updated_at": "2026-10-01T00:00:00+00:00"}
    older = {"id": "c1", "name": "Old feed row", "updated_at": "2026-01-01T00:00:00+00:00"}
    with Session(engine) as session, session.begin():
        assert store.upsert(session, newer, source="clinic")
    with Session(engine) as session, session.begin():
        assert not store.upsert(session, older, source="feed")
    with Session(engine) as session:
        assert [r["name"] for r in store.iter_records(session)] == ["Edited by clinic"]


def test_iter_records_streams_every_row_in_batches(engine):
    with Session(engine) as session, session.begin():
        for i in range(25):
            store.upsert(session, {"id": f"c{i:02d}"}, source="feed")
    with Session(engine) as session:
        ids = [r["id"] for r in store.iter_records(session, batch=7)]
    assert ids == [f"c{i:02d}" for i in range(25)]
