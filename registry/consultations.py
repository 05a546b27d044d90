"""Consultation requests (leads): a consumer asks a clinic for a consultation; the clinic works
through them in its inbox; the consumer follows (or withdraws) theirs through a status link.

States: new -> contacted -> booked -> completed, or declined by the clinic at any point before
completion, or withdrawn by the consumer. A clinic may skip states (a request can be booked
straight away). Marking a request completed issues the one-time invitation to write a verified
visit review. The consumer's contact details are seen only by that clinic and administrators,
and are erased after the retention period (`registry.retention`) or when the consumer asks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry import links
from registry.db import now
from registry.models import Account, ConsultationRequest

STATES = {
    "new": "New",
    "contacted": "Contacted",
    "booked": "Booked",
    "completed": "Completed",
    "declined": "Declined",
    "withdrawn": "Withdrawn by the consumer",
}
FORWARD = ("new", "contacted", "booked", "completed")
OPEN = ("new", "contacted", "booked")


def next_states(state: str) -> list[str]:
    """Where a clinic may move a request from `state`: any later step, or declined while open."""
    if state not in OPEN:
        return []
    return [*FORWARD[FORWARD.index(state) + 1 :], "declined"]


@dataclass(frozen=True)
class Created:
    request: ConsultationRequest
    status_token: str


def create(engine: Engine, clinic_id: str, data: dict, client_hash: str | None) -> Created:
    """Store a request (validated by `registry.submissions.ConsultationRequestForm`); returns it
    with its status link's token."""
    stamp = now()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        request = ConsultationRequest(
            clinic_id=clinic_id,
            state="new",
            treatment=data.get("treatment"),
            preferences={"days": data.get("days", []), "times": data.get("times", [])},
            name=data["name"],
            email=data.get("email"),
            phone=data.get("phone"),
            message=data.get("message") or None,
            consent=data["consent"],
            client_hash=client_hash,
            created_at=stamp,
            state_changed_at=stamp,
        )
        session.add(request)
        session.flush()
        return Created(request, links.issue(session, "request", request_id=request.id))


def inbox(
    engine: Engine, clinic_id: str, state: str | None = None, limit: int = 200
) -> list[ConsultationRequest]:
    """A listing's requests, newest first (only those in `state`, if given)."""
    query = select(ConsultationRequest).where(ConsultationRequest.clinic_id == clinic_id)
    if state:
        query = query.where(ConsultationRequest.state == state)
    with Session(engine) as session:
        return list(session.scalars(query.order_by(ConsultationRequest.id.desc()).limit(limit)))


def counts(engine: Engine, clinic_id: str) -> dict[str, int]:
    """How many of a listing's requests are in each state."""
    with Session(engine) as session:
        rows = session.execute(
            select(ConsultationRequest.state, func.count())
            .where(ConsultationRequest.clinic_id == clinic_id)
            .group_by(ConsultationRequest.state)
        )
        found = dict(rows.all())
    return {state: found.get(state, 0) for state in STATES}


def get(engine: Engine, request_id: int, account: Account) -> ConsultationRequest | None:
    """A request `account` may see: its own listing's (any, for administrators)."""
    with Session(engine) as session:
        request = session.get(ConsultationRequest, request_id)
    return request if request is not None and account.can_edit(request.clinic_id) else None


@dataclass(frozen=True)
class Moved:
    request: ConsultationRequest
    invitation_token: str | None  # issued when the request became completed (and can be mailed)


def move(engine: Engine, request_id: int, state: str, account: Account) -> Moved | None:
    """The clinic moves a request on. Completing it issues the invitation to review a verified
    visit (once; only while the consumer's email is still kept). None when `account` may not see
    the request or the move is not allowed from its state."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        request = session.get(ConsultationRequest, request_id)
        if request is None or not account.can_edit(request.clinic_id):
            return None
        if state not in next_states(request.state):
            return None
        request.state, request.state_changed_at = state, now()
        token = None
        if state == "completed" and request.email and request.invited_at is None:
            request.invited_at = now()
            token = links.issue(session, "invite", request_id=request.id)
        return Moved(request, token)


def by_token(engine: Engine, token: str) -> ConsultationRequest | None:
    """The request a consumer's status link opens."""
    with Session(engine) as session:
        link = links.find(session, token, "request")
        return session.get(ConsultationRequest, link.request_id) if link else None


def withdraw(engine: Engine, token: str) -> ConsultationRequest | None:
    """The consumer withdraws an open request; None when the link opens none that is open."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        link = links.find(session, token, "request")
        request = session.get(ConsultationRequest, link.request_id) if link else None
        if request is None or request.state not in OPEN:
            return None
        request.state, request.state_changed_at = "withdrawn", now()
        return request


def erase(request: ConsultationRequest) -> None:
    """Blank a request's contact details and message (the row and its state stay, for counts)."""
    request.name = request.email = request.phone = request.message = request.client_hash = None
    request.erased_at = now()
    if request.state in OPEN:
        request.state, request.state_changed_at = "withdrawn", now()


def erase_by_token(engine: Engine, token: str) -> ConsultationRequest | None:
    """The consumer asks for their details to be erased now (an open request is withdrawn)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        link = links.find(session, token, "request")
        request = session.get(ConsultationRequest, link.request_id) if link else None
        if request is None:
            return None
        if request.erased_at is None:
            erase(request)
        return request


def staff_emails(engine: Engine, clinic_id: str) -> list[str]:
    """Where a clinic's new requests are mailed: its staff accounts."""
    with Session(engine) as session:
        return list(session.scalars(select(Account.email).where(Account.clinic_id == clinic_id)))
