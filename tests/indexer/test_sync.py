"""The outbox drain (indexer/sync.py): a document Elasticsearch refuses never holds up the others."""

import json
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import index
from indexer.sync import index_pending
from registry import listings, moderation, outbox
from registry.models import OutboxEntry

MALFORMED = Path(__file__).parents[2] / "fixtures" / "malformed.ndjson"


def drain(engine, es, alias, batch):
    """index_pending in a thread, so that a drain that never ends fails the test instead of hanging it."""
    out = {}
    worker = threading.Thread(
        target=lambda: out.update(r=index_pending(engine, es, alias, batch)), daemon=True
    )
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the drain did not finish"
    return out["r"]


def test_refused_documents_back_off_and_every_other_edit_is_indexed(engine, es, alias):
    base = json.loads(MALFORMED.read_text().splitlines()[0])
    base.pop("reviews")
    ids = [f"c-{n}" for n in range(6)]
    with Session(engine) as session:
        for cid in ids:
            listings.upsert(session, {**base, "id": cid}, source="feed")
        session.commit()
        index.rebuild(es, alias, listings.iter_listings(session))

    def edit(cid: str, name: str) -> None:
        version = str(listings.get(engine, cid).version)
        listings.save(
            engine, cid, {**base, "id": cid, "name": name}, version=version, actor="t", source="feed"
        )

    # Three listings stored before the schema's caps held, each name one term longer than
    # Elasticsearch's keyword limit (32,766 bytes, the name's sort key): the index refuses them.
    for cid in ids[:3]:
        edit(cid, "Poisoned" * 5000)
    edit("c-3", "Edited Clinic Three")
    result = drain(engine, es, alias, batch=2)  # the poisoned rows alone fill the first batches
    assert set(result.refused) == {"c-0", "c-1", "c-2"}
    assert es.get(index=alias, id="c-3")["_source"]["name"] == "Edited Clinic Three"

    with Session(engine) as session:
        rows = list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))
    assert [r.clinic_id for r in rows] == ["c-0", "c-1", "c-2"]
    assert all(r.attempts == 1 and r.last_error and r.next_attempt_at for r in rows)

    # Backing off, they are not tried again at once: a later edit goes straight through.
    edit("c-4", "Edited Clinic Four")
    again = drain(engine, es, alias, batch=2)
    assert again.refused == {} and again.indexed == 1
    assert es.get(index=alias, id="c-4")["_source"]["name"] == "Edited Clinic Four"
    assert outbox.due(engine) == 0 and outbox.pending(engine) == 3

    # Administrators see them; fixing the listing clears its refusal with the next drain.
    page = moderation.refusals(engine)
    assert page.total == 3 and {r.clinic_id for r in page.items} == {"c-0", "c-1", "c-2"}
    assert outbox.refusal_of(engine, "c-0")
    edit("c-0", "Repaired Clinic")
    drain(engine, es, alias, batch=2)
    assert es.get(index=alias, id="c-0")["_source"]["name"] == "Repaired Clinic"
    assert outbox.refusal_of(engine, "c-0") is None and moderation.refusals(engine).total == 2


def test_a_stored_error_escapes_what_postgresql_cannot_hold():
    """Elasticsearch quotes refused text in its errors, NUL included; PostgreSQL stores no NUL."""
    assert outbox._readable("bad value [Glow\x00Clinic]\n") == "bad value [Glow\\x00Clinic]\\n"
    assert len(outbox._readable("x" * 2000)) == 500
