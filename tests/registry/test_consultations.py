"""registry/consultations.py: states, ownership, the invitation a completed visit issues once,
and the consumer's withdrawal and erasure."""

from types import SimpleNamespace

from sqlalchemy.orm import Session

from registry import consultations, consumer_reviews, listings

REQUEST = {"name": "Ana Diaz", "email": "ana@mail.example", "phone": None, "treatment": "microneedling"}


def listing(engine, *ids):
    with Session(engine) as session, session.begin():
        for clinic_id in ids:
            record = {
                "id": clinic_id,
                "name": clinic_id.upper(),
                "address": {"city": "Raleigh", "state": "NC"},
            }
            listings.upsert(session, record, source="feed")


def staff(clinic_id):
    return SimpleNamespace(email=f"staff@{clinic_id}.example", can_edit=lambda c: c == clinic_id)


def test_states_move_forward_and_completion_invites_once(engine):
    listing(engine, "a", "b")
    created = consultations.create(engine, "a", REQUEST | {"consent": True, "days": ["sat"]}, "h")
    rid = created.request.id
    assert consultations.next_states("new") == ["contacted", "booked", "completed", "declined"]
    assert consultations.next_states("booked") == ["completed", "declined"]
    assert consultations.next_states("completed") == consultations.next_states("withdrawn") == []

    assert consultations.move(engine, rid, "contacted", staff("b")) is None, "another clinic's request"
    assert consultations.get(engine, rid, staff("b")) is None
    assert consultations.move(engine, rid, "new", staff("a")) is None, "no way back"
    assert consultations.move(engine, rid, "booked", staff("a")).invitation_token is None
    done = consultations.move(engine, rid, "completed", staff("a"))
    assert (
        done.invitation_token and consumer_reviews.invitation(engine, done.invitation_token).clinic_id == "a"
    )
    assert consultations.move(engine, rid, "declined", staff("a")) is None, "completed is final"
    assert consultations.counts(engine, "a") == {s: int(s == "completed") for s in consultations.STATES}
    assert consultations.by_token(engine, created.status_token).state == "completed"


def test_the_consumer_withdraws_or_erases_through_the_status_link(engine):
    listing(engine, "a")
    created = consultations.create(engine, "a", REQUEST | {"consent": True, "message": "Mornings only"}, "h")
    token = created.status_token
    assert consultations.by_token(engine, token + "x") is None
    assert consultations.withdraw(engine, token).state == "withdrawn"
    assert consultations.withdraw(engine, token) is None, "only an open request can be withdrawn"
    erased = consultations.erase_by_token(engine, token)
    assert (erased.name, erased.email, erased.phone, erased.message) == (None, None, None, None)
    assert erased.erased_at and erased.treatment == "microneedling", "what the clinic's counts need stays"


def test_a_request_whose_details_are_erased_issues_no_invitation(engine):
    listing(engine, "a")
    created = consultations.create(engine, "a", REQUEST | {"consent": True}, "h")
    consultations.erase_by_token(engine, created.status_token)
    assert consultations.move(engine, created.request.id, "completed", staff("a")) is None, (
        "withdrawn on erasure"
    )
