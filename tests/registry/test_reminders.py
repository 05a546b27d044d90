"""`python -m indexer reminders`: clinics hear once about facts getting stale and credentials
about to expire, through the mail interface's file backend."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from indexer.__main__ import main
from registry import accounts, listings, provenance
from registry.mail import read_mailbox
from registry.models import Clinic

TODAY = date(2026, 12, 1)


def record(clinic_id: str, expires: str) -> dict:
    return {
        "id": clinic_id,
        "name": f"Clinic {clinic_id}",
        "address": {"city": "Raleigh", "state": "NC"},
        "treatments": ["microneedling"],
        "certifications": [
            {"code": "registered-nurse", "number": "RN-1", "verified": True, "expires": expires},
        ],
        "updated_at": "2026-11-30T10:00:00+00:00",
    }


def confirmed(engine, clinic_id: str, group: str, when: datetime) -> None:
    facts = listings.get(engine, clinic_id).facts
    with Session(engine) as session, session.begin():
        facts = provenance.stamped(facts, [group], "clinic", when)
        session.execute(update(Clinic).where(Clinic.id == clinic_id).values(facts=facts))


def run(monkeypatch, database_url, mail_dir, today=TODAY) -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DIRECTORY_MAIL_URL", f"file://{mail_dir}")
    monkeypatch.setenv("DIRECTORY_PUBLIC_URL", "https://directory.example")
    return main(["reminders", "--today", today.isoformat()])


def test_run_twice_each_reminder_is_sent_once(engine, database_url, tmp_path, monkeypatch):
    mail_dir = tmp_path / "mail"
    with Session(engine) as session:
        listings.upsert(
            session, record("due", "2026-12-20"), source="feed", changed_at=datetime(2026, 11, 30, tzinfo=UTC)
        )
        listings.upsert(
            session,
            record("fine", "2028-01-01"),
            source="feed",
            changed_at=datetime(2026, 11, 30, tzinfo=UTC),
        )
        listings.upsert(session, record("nobody", "2026-12-10"), source="feed")
        session.commit()
    accounts.invite(engine, "owner@due.test", "clinic", "due")
    accounts.invite(engine, "manager@due.test", "clinic", "due")
    accounts.invite(engine, "owner@fine.test", "clinic", "fine")
    confirmed(engine, "due", "hours", datetime(2026, 5, 1, tzinfo=UTC))  # 214 days: shown as out of date
    confirmed(engine, "due", "prices", datetime(2026, 6, 20, tzinfo=UTC))  # 164 days: due within 30

    assert run(monkeypatch, database_url, mail_dir) == 0
    first = read_mailbox(mail_dir)
    assert sorted(m["To"] for m in first) == ["manager@due.test", "owner@due.test"]
    body = first[0].get_content()
    assert first[0]["Subject"] == "Clinic due: please confirm your listing and renew a credential"
    assert (
        "Opening hours: last confirmed on May 1, 2026; your listing is shown as possibly out of date" in body
    )
    assert (
        "Treatments and prices: last confirmed on June 20, 2026; "
        "your listing will show from December 17, 2026" in body
    )
    assert "Registered nurse (RN-1) expires on December 20, 2026" in body
    assert "Address and contact details" not in body  # confirmed yesterday by the feed
    assert "https://directory.example/clinic/listing" in body

    assert run(monkeypatch, database_url, mail_dir) == 0
    assert len(read_mailbox(mail_dir)) == 2, "the second run sent a reminder again"

    # A new confirmation that grows old is a new occasion; the earlier ones stay sent.
    confirmed(engine, "due", "hours", datetime(2026, 12, 1, tzinfo=UTC))
    later = TODAY + timedelta(days=160)
    assert run(monkeypatch, database_url, mail_dir, later) == 0
    third = [m for m in read_mailbox(mail_dir)[2:] if m["To"] == "owner@due.test"]
    assert len(third) == 1
    body = third[0].get_content()
    assert "Opening hours: last confirmed on December 1, 2026" in body
    assert "Treatments and prices" not in body  # that confirmation was reminded of already
    assert "Registered nurse" not in body  # expired by then: no longer "expires soon"
