"""Reviews written by consumers, from the form to publication and after.

Two ways in, labelled differently everywhere (`registry.reviews.LABELS`):

- a **verified visit** is written through the one-time invitation mailed when the clinic marks
  the consumer's consultation request completed (`registry.requests.move`): the link proves the
  visit and the email address at once, so the review goes straight to the automatic checks;
- a **confirmed reviewer** is anyone writing from the profile: the review waits, unseen, until
  its author opens the confirmation link mailed to them; then it goes to the checks.

The checks publish the review or hold it for an administrator (`registry.review_moderation`).
Its author gets an edit link to change or delete it; the clinic may answer it once (and edit the
answer) and may flag it for the administrators, never remove it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry import links, reviews
from registry.db import now
from registry.models import Account, ConsultationRequest, Photo, Review, ReviewFlag, ReviewVote
from registry.review_checks import fingerprint
from registry.review_moderation import check_and_publish

UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class Origin:
    """Where a submission came from: keyed digests of the client's address and network, and the
    clinic account signed in at the time (if any)."""

    client_hash: str | None = None
    network_hash: str | None = None
    account_email: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A review that went to the checks: its row (detached), the checks it met, and the author's
    edit link token when this step issued one."""

    review: Review
    held_for: list[str]
    edit_token: str | None = None

    @property
    def published(self) -> bool:
        return self.review.status == reviews.PUBLISHED


@dataclass(frozen=True)
class Invitation:
    """What an unused invitation link knows: the listing, the treatment asked about, the name."""

    clinic_id: str
    treatment: str | None
    name: str | None


def _new_review(clinic_id: str, kind: str, written: dict, email: str | None, origin: Origin) -> Review:
    stamp = now()
    return Review(
        clinic_id=clinic_id,
        position=0,
        # ":" never appears in a feed's review ids, so ours cannot collide with them.
        review_id=f"pd:{secrets.token_hex(8)}",
        rating=written["rating"],
        date=stamp.date(),
        verified=kind == reviews.VERIFIED,
        content={"title": written.get("title"), "text": written["text"], "author": written.get("author")},
        kind=kind,
        status=UNCONFIRMED,
        helpful=0,
        treatment=written.get("treatment"),
        visit_month=written.get("visit_month"),
        email=email,
        account_email=origin.account_email,
        client_hash=origin.client_hash,
        network_hash=origin.network_hash,
        fingerprint=fingerprint(written["text"]),
        created_at=stamp,
        changed_at=stamp,
    )


def _attach(session: Session, review: Review, photos: list) -> None:
    """Photos (key, processed photo) the reviewer uploaded with consent to publish them."""
    for position, (key, processed) in enumerate(photos):
        session.add(
            Photo(
                clinic_id=review.clinic_id,
                review_id=review.id,
                file_key=key,
                content_type=processed.content_type,
                extension=processed.extension,
                width=processed.width,
                height=processed.height,
                caption="",
                kind="review",
                position=position,
                consent=True,
                uploaded_by="reviewer",
                created_at=now(),
            )
        )


def submit(
    engine: Engine, clinic_id: str, written: dict, email: str, origin: Origin, photos: list = ()
) -> str:
    """A confirmed reviewer's review, stored unconfirmed; returns the confirmation link's token."""
    with Session(engine) as session, session.begin():
        review = _new_review(clinic_id, reviews.CONFIRMED, written, email.strip().lower(), origin)
        session.add(review)
        session.flush()
        _attach(session, review, list(photos))
        return links.issue(session, "confirm", review_id=review.id)


def awaiting_confirmation(engine: Engine, token: str) -> Review | None:
    """The unconfirmed review a still valid confirmation link would publish (the link unused)."""
    with Session(engine) as session:
        link = links.find(session, token, "confirm")
        review = session.get(Review, link.review_id) if link else None
        return review if review is not None and review.status == UNCONFIRMED else None


def confirm(engine: Engine, token: str) -> Outcome | None:
    """Open a confirmation link: the review goes to the checks and its author gets an edit link.
    None for an unknown, used or expired link."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        link = links.find(session, token, "confirm")
        if link is None:
            return None
        link.used_at = now()
        review = session.get(Review, link.review_id)
        if review is None or review.status != UNCONFIRMED:
            return None
        held_for = check_and_publish(session, review)
        return Outcome(review, held_for, links.issue(session, "edit", review_id=review.id))


def invitation(engine: Engine, token: str) -> Invitation | None:
    """The invitation an unused, unexpired invitation link holds."""
    with Session(engine) as session:
        link = links.find(session, token, "invite")
        if link is None:
            return None
        request = session.get(ConsultationRequest, link.request_id)
        return Invitation(request.clinic_id, request.treatment, request.name)


def write_invited(
    engine: Engine, token: str, written: dict, origin: Origin, photos: list = ()
) -> Outcome | None:
    """A verified visit, written through its invitation (used up by it): straight to the checks."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        link = links.find(session, token, "invite")
        if link is None:
            return None
        link.used_at = now()
        request = session.get(ConsultationRequest, link.request_id)
        review = _new_review(request.clinic_id, reviews.VERIFIED, written, request.email, origin)
        review.request_id = request.id
        session.add(review)
        session.flush()
        _attach(session, review, list(photos))
        held_for = check_and_publish(session, review)
        return Outcome(review, held_for, links.issue(session, "edit", review_id=review.id))


def authored(engine: Engine, token: str) -> Review | None:
    """The review an edit link opens (not one its author deleted)."""
    with Session(engine) as session:
        link = links.find(session, token, "edit")
        review = session.get(Review, link.review_id) if link else None
        return review if review is not None and review.status != "deleted" else None


def edit(engine: Engine, token: str, written: dict) -> Outcome | None:
    """The author's edit: the new words and rating go through the checks again (a published review
    that still passes stays published; one that now meets a check is held). None when the link
    opens nothing editable (unknown, deleted, or removed by an administrator)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        link = links.find(session, token, "edit")
        review = session.get(Review, link.review_id) if link else None
        if review is None or review.status not in ("published", "held"):
            return None
        review.content = {
            "title": written.get("title"),
            "text": written["text"],
            "author": written.get("author"),
        }
        review.treatment, review.visit_month = written.get("treatment"), written.get("visit_month")
        review.fingerprint = fingerprint(written["text"])
        review.edited_at = now()
        reviews.change(session, review, rating=written["rating"])
        return Outcome(review, check_and_publish(session, review))


def delete(engine: Engine, token: str) -> list[str] | None:
    """The author deletes their review: its words, photos and email address go; the row stays as
    "deleted" (the moderation log refers to it). Returns the photo keys to remove from disk."""
    with Session(engine) as session, session.begin():
        link = links.find(session, token, "edit")
        review = session.get(Review, link.review_id) if link else None
        if review is None or review.status == "deleted":
            return None
        reviews.change(session, review, status="deleted")
        review.content = {"title": None, "text": "", "author": None}
        review.email = review.account_email = review.client_hash = review.network_hash = None
        review.fingerprint = review.response = None
        photos = list(session.scalars(select(Photo).where(Photo.review_id == review.id)))
        for photo in photos:
            session.delete(photo)
        return [p.file_key for p in photos]


# --- clinics --------------------------------------------------------------------------------------


def _owned(session: Session, key: int, account: Account) -> Review | None:
    review = session.get(Review, key)
    if review is None or review.status != reviews.PUBLISHED or not account.can_edit(review.clinic_id):
        return None
    return review


def owned(engine: Engine, key: int, account: Account) -> Review | None:
    """A published review of a listing `account` may act for; None for any other."""
    with Session(engine) as session:
        return _owned(session, key, account)


def respond(engine: Engine, key: int, text: str, account: Account) -> Review | None:
    """Set (or change) the clinic's one public response to a published review of its own listing;
    None when `account` may not (another clinic's review: it is not there, as far as they know)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        review = _owned(session, key, account)
        if review is not None:
            review.response, review.response_at, review.response_by = text, now(), account.email
        return review


def flag(engine: Engine, key: int, reason: str, note: str, account: Account) -> Review | None:
    """A clinic asks the administrators to check a published review of its listing against the
    policy. The review stays published until they decide."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        review = _owned(session, key, account)
        if review is not None:
            session.add(
                ReviewFlag(
                    review_id=review.id,
                    clinic_id=review.clinic_id,
                    reason=reason,
                    note=note,
                    flagged_by=account.email,
                    created_at=now(),
                )
            )
        return review


@dataclass(frozen=True)
class ForClinic:
    """A published review as its clinic sees it: with whether it has an open flag."""

    review: reviews.Shown
    flagged: bool


def of_clinic(
    engine: Engine, clinic_id: str, awaiting_only: bool = False, limit: int = 100
) -> list[ForClinic]:
    """A listing's published reviews for its clinic, newest first (only those without a response)."""
    with Session(engine) as session:
        query = select(Review).where(Review.clinic_id == clinic_id, Review.status == reviews.PUBLISHED)
        if awaiting_only:
            query = query.where(Review.response.is_(None), Review.kind != reviews.FEED)
        rows = list(session.scalars(query.order_by(*reviews.order_by("newest")).limit(limit)))
        flagged = set(
            session.scalars(
                select(ReviewFlag.review_id).where(
                    ReviewFlag.review_id.in_([r.id for r in rows]), ReviewFlag.resolved_at.is_(None)
                )
            )
        )
    return [ForClinic(reviews.shown(r), r.id in flagged) for r in rows]


def awaiting_response(engine: Engine, clinic_id: str) -> int:
    """Consumers' published reviews of the listing that have no response yet."""
    with Session(engine) as session:
        return session.scalar(
            select(func.count())
            .select_from(Review)
            .where(
                Review.clinic_id == clinic_id,
                Review.status == reviews.PUBLISHED,
                Review.kind != reviews.FEED,
                Review.response.is_(None),
            )
        )


# --- readers ----------------------------------------------------------------------------------------


def vote(engine: Engine, clinic_id: str, review_id: str, voter_hash: str) -> bool | None:
    """Count one "helpful" per reader and review: True if counted, False if this reader's vote
    already was, None when the listing has no published review with this id."""
    with Session(engine) as session:
        key = session.scalar(
            select(Review.id).where(
                Review.clinic_id == clinic_id,
                Review.review_id == review_id,
                Review.status == reviews.PUBLISHED,
            )
        )
    if key is None:
        return None
    try:
        with Session(engine) as session, session.begin():
            session.add(ReviewVote(review_id=key, voter_hash=voter_hash))
            session.flush()
            session.execute(update(Review).where(Review.id == key).values(helpful=Review.helpful + 1))
    except IntegrityError:
        return False
    return True
