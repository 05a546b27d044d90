"""How long consumers' personal data is kept, and erasing it (`python -m indexer retention`).

- A consultation request's contact details and message are erased `days` (default 365) after
  its last state change; the row keeps its listing, state, treatment and dates for the clinic's
  counts.
- A review keeps what its author published (name as they typed it, words, rating, photos); its
  email address, the signed-in account and the digests of the client's address are erased
  `days` after its last change. Its edit link keeps working.
- A review never confirmed is deleted once its confirmation link has expired (7 days).
- On request (`--erase EMAIL`), everything above for that email address goes at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry import links
from registry.consultations import erase as erase_request
from registry.db import now
from registry.models import ConsultationRequest, ConsumerLink, Photo, Review

DEFAULT_DAYS = 365
_CONTACT = {"email": None, "account_email": None, "client_hash": None, "network_hash": None}


@dataclass
class Erased:
    requests: int = 0
    reviews: int = 0
    unconfirmed: int = 0
    photo_keys: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"erased the contact details of {self.requests} request(s) and {self.reviews} review(s); "
            f"deleted {self.unconfirmed} review(s) never confirmed"
        )


def erase_expired(engine: Engine, days: int = DEFAULT_DAYS, at: datetime | None = None) -> Erased:
    """Erase what is past the retention period (see the module's docstring); a cron job's work."""
    at = at or now()
    cutoff = at - timedelta(days=days)
    result = Erased()
    with Session(engine) as session, session.begin():
        expired = session.scalars(
            select(ConsultationRequest).where(
                ConsultationRequest.erased_at.is_(None), ConsultationRequest.state_changed_at < cutoff
            )
        )
        for request in expired:
            erase_request(request)
            result.requests += 1
        result.reviews = session.execute(
            update(Review).where(Review.email.is_not(None), Review.changed_at < cutoff).values(_CONTACT)
        ).rowcount
        stale = at - links.LIFETIMES["confirm"]
        never = list(
            session.scalars(
                select(Review.id).where(Review.status == "unconfirmed", Review.created_at < stale)
            )
        )
        result.unconfirmed, result.photo_keys = len(never), _delete_reviews(session, never)
    return result


def _delete_reviews(session: Session, ids: list[int]) -> tuple[str, ...]:
    """Remove unpublished reviews entirely (never shown, never counted); their photo keys."""
    if not ids:
        return ()
    keys = tuple(session.scalars(select(Photo.file_key).where(Photo.review_id.in_(ids))))
    session.execute(delete(Photo).where(Photo.review_id.in_(ids)))
    session.execute(delete(ConsumerLink).where(ConsumerLink.review_id.in_(ids)))
    session.execute(delete(Review).where(Review.id.in_(ids)))
    return keys


def erase_email(engine: Engine, email: str) -> Erased:
    """A person asks to be forgotten: their requests' details and their reviews' email address
    are erased now, and their unconfirmed reviews deleted. (A published review stays, without
    the address; its author deletes it through their edit link.)"""
    email = email.strip().lower()
    result = Erased()
    with Session(engine) as session, session.begin():
        for request in session.scalars(
            select(ConsultationRequest).where(func.lower(ConsultationRequest.email) == email)
        ):
            erase_request(request)
            result.requests += 1
        never = list(
            session.scalars(select(Review.id).where(Review.email == email, Review.status == "unconfirmed"))
        )
        result.unconfirmed, result.photo_keys = len(never), _delete_reviews(session, never)
        result.reviews = session.execute(
            update(Review).where(Review.email == email).values(_CONTACT)
        ).rowcount
    return result
