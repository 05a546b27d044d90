"""A store made by the code before reviews had their own table upgrades (and downgrades) in place."""

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session

from registry import listings
from registry.db import MIGRATIONS, as_utc, head_revision, open_store, stored_revision
from registry.derive import Ratings
from registry.models import Clinic
from registry.schema import ClinicRecord, dump_loaded

FIXTURES = Path(__file__).parents[2] / "fixtures" / "clinics.ndjson"


def alembic(engine: sa.Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def old_records() -> list[dict]:
    lines = FIXTURES.read_text().splitlines()[:60]
    return [dump_loaded(ClinicRecord().load(json.loads(line))) for line in lines if '"location"' in line]


def test_an_old_store_upgrades_moving_reviews_into_their_table_and_back(database_url):
    records = old_records()
    assert sum(len(r["reviews"]) for r in records) > 200
    old = sa.create_engine(database_url)
    alembic(old, "upgrade", "0003")
    clinics = sa.table(
        "clinics",
        sa.column("id"),
        sa.column("record", sa.JSON),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("source"),
        sa.column("version"),
    )
    with old.begin() as conn:
        conn.execute(
            clinics.insert(),
            [
                {"id": r["id"], "record": r, "updated_at": ClinicRecord().load(r)["updated_at"]}
                | {"source": "feed", "version": 3}
                for r in records
            ],
        )
    old.dispose()

    engine = open_store(database_url)  # migrates to the latest revision
    with Session(engine) as session:
        assert [json.dumps(r, ensure_ascii=False) for r in listings.iter_records(session)] == [
            json.dumps(r, ensure_ascii=False) for r in sorted(records, key=lambda r: r["id"])
        ]
        for record in records:
            stored = session.get(Clinic, record["id"])
            assert "reviews" not in stored.record and stored.version == 3
            assert as_utc(stored.changed_at) == as_utc(stored.updated_at)
            assert listings.get(session, record["id"]).ratings == Ratings.of(record["reviews"])

    alembic(engine, "downgrade", "0003")
    with engine.connect() as conn:
        back = {row.id: row.record for row in conn.execute(sa.select(clinics.c.id, clinics.c.record))}
    assert back == {r["id"]: r for r in records}
    assert [list(back[r["id"]]) for r in records] == [list(r) for r in records]  # keys in order
    engine.dispose()


def test_downgrading_consumer_reviews_leaves_the_feeds_aggregates(engine):
    from registry import consumer_reviews
    from registry.consumer_reviews import Origin

    [record] = old_records()[:1]
    with Session(engine) as session, session.begin():
        listings.upsert(session, record, source="feed")
    written = {"rating": 1, "text": "A consumer's review that the downgrade must take away."}
    token = consumer_reviews.submit(engine, record["id"], written, "a@x.example", Origin())
    assert consumer_reviews.confirm(engine, token).published
    with Session(engine) as session:
        assert listings.get(session, record["id"]).ratings.count == len(record["reviews"]) + 1
    alembic(engine, "downgrade", "0006")
    stars = [f"stars_{n}" for n in range(1, 6)]
    with engine.connect() as conn:
        row = conn.execute(sa.text(f"SELECT {', '.join(stars)} FROM review_stats")).one()
    assert Ratings(*row) == Ratings.of(record["reviews"])
    alembic(engine, "upgrade", "head")


def test_the_head_read_from_the_files_is_alembics_own():
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_an_up_to_date_store_opens_without_loading_alembic(database_url):
    """Web workers start from a migrated store: alembic's modules stay out of their memory."""
    probe = (
        "import sys; from registry.db import open_store; "
        "open_store(sys.argv[1]); print('alembic' in sys.modules)"
    )

    def loads_alembic() -> bool:
        out = subprocess.run([sys.executable, "-c", probe, database_url], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip() == "True"

    fresh = sa.create_engine(database_url)
    assert stored_revision(fresh) is None
    assert loads_alembic()  # a new store: migrated by alembic
    assert stored_revision(fresh) == head_revision()
    assert not loads_alembic()  # already at the head: nothing to run
    alembic(fresh, "downgrade", "0007")
    assert loads_alembic() and stored_revision(fresh) == head_revision()


def test_when_the_files_name_no_single_head_alembic_decides(database_url, monkeypatch):
    """Two heads (or none parsed) never read as "up to date": a new store is still migrated."""
    from registry import db

    monkeypatch.setattr(db, "head_revision", lambda: None)
    engine = open_store(database_url)
    assert stored_revision(engine) is not None
