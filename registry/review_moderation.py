"""Moderation of consumers' reviews: the automatic checks at publication, the administrators'
queue, their decisions, and the public counts of the moderation log.

Every decision is a row of `review_decisions` with a reason code (`registry.policy`): an
automatic "publish" (checks passed) or "hold" (one row per check met), an administrator's
"publish" (within the policy) or "remove" (a removal reason). The rating is in none of it: the
checks never receive it (`registry.review_checks`), the evidence is gathered without it, and
the queue neither shows it nor offers different actions by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import distinct, func, literal, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry import listings, reviews
from registry.db import now, reading
from registry.models import Account, Clinic, Review, ReviewDecision, ReviewFlag
from registry.policy import AUTOMATIC, CHECKS_PASSED, REMOVAL_REASONS, WITHIN_POLICY
from registry.review_checks import Evidence, Submission, failed_checks

RECENT_TEXTS = 200  # the clinic's latest consumer reviews compared for near-duplicates ...
RECENT_WINDOW = timedelta(days=365)  # ... written in the year before
LIVE = ("published", "held")


def submission(review: Review) -> Submission:
    """What the checks see of a stored review."""
    content = review.content
    return Submission(
        clinic_id=review.clinic_id,
        title=content.get("title"),
        text=content.get("text", ""),
        author=content.get("author"),
        email=review.email,
        by_clinic_account=review.account_email is not None,
    )


def evidence(session: Session, review: Review) -> Evidence:
    """The store's evidence around `review` (itself left out), the same queries for every review:
    one row of counts, the clinic's recent texts, its accounts. Each count is one index range
    (see migration 0007), so this costs the same for a clinic with ten reviews or ten thousand."""
    at, others, live = review.created_at, Review.id != review.id, Review.status.in_(LIVE)

    def count(*where):
        return select(func.count()).select_from(Review).where(others, *where).scalar_subquery()

    def before(window: timedelta):
        return Review.created_at.between(at - window, at)

    def recent(column, value, window: timedelta):
        return count(column == value, before(window)) if value is not None else literal(0)

    counts = session.execute(
        select(
            count(Review.fingerprint == review.fingerprint, live) if review.fingerprint else literal(0),
            count(Review.email == review.email, Review.clinic_id == review.clinic_id, live)
            if review.email
            else literal(0),
            recent(Review.client_hash, review.client_hash, timedelta(days=1)),
            recent(Review.network_hash, review.network_hash, timedelta(hours=1)),
            count(Review.clinic_id == review.clinic_id, before(timedelta(days=1))),
        )
    ).one()
    # Feed reviews have no created_at, so this range holds only the clinic's consumer reviews.
    texts = session.execute(
        select(Review.content, Review.status)
        .where(Review.clinic_id == review.clinic_id, before(RECENT_WINDOW), others)
        .order_by(Review.created_at.desc())
        .limit(RECENT_TEXTS)
    )
    record = session.scalar(select(Clinic.record).where(Clinic.id == review.clinic_id))
    emails = set(session.scalars(select(Account.email).where(Account.clinic_id == review.clinic_id)))
    emails.add((record.get("email") or "").lower())
    website = urlsplit(record.get("website") or "").hostname or ""
    same_text, same_reviewer, client_recent, network_recent, clinic_recent = counts
    return Evidence(
        same_text=same_text,
        recent_texts=tuple(content.get("text", "") for content, status in texts if status in LIVE),
        same_reviewer=same_reviewer,
        client_recent=client_recent,
        network_recent=network_recent,
        clinic_recent=clinic_recent,
        clinic_emails=frozenset(e for e in emails if e),
        clinic_domains=frozenset({website.removeprefix("www.")} - {""}),
    )


def _decide(session: Session, review: Review, action: str, reason: str, actor: str) -> None:
    session.add(
        ReviewDecision(
            review_id=review.id,
            clinic_id=review.clinic_id,
            action=action,
            reason=reason,
            actor=actor,
            at=now(),
        )
    )


def check_and_publish(session: Session, review: Review) -> list[str]:
    """Run the automatic checks on a review that is ready to go out (confirmed, invited, or
    edited by its author): publish it, or hold it for the queue. Records the decision unless
    nothing changes (an edit of a published review that still passes). Returns the checks met."""
    failed = failed_checks(submission(review), evidence(session, review))
    if review.status == "unconfirmed":
        review.date = now().date()  # the day its author sent it out, not the day it was typed
    if failed:
        for code in failed:
            _decide(session, review, "hold", code, AUTOMATIC)
        reviews.change(session, review, status="held")
    elif review.status != reviews.PUBLISHED:
        _decide(session, review, "publish", CHECKS_PASSED, AUTOMATIC)
        reviews.change(session, review, status=reviews.PUBLISHED)
    return failed


# --- the queue -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    """A review waiting for an administrator: held by the checks, or published and flagged by
    its clinic. What a moderator sees: never the rating."""

    key: int
    clinic_id: str
    clinic_name: str
    status: str
    title: str | None
    text: str
    author: str | None
    label: str
    treatment: str | None
    held_for: list[str]  # check reason codes
    flags: list[ReviewFlag]


def queue(engine: Engine) -> list[QueueItem]:
    """Held reviews and reviews with open flags, oldest first."""
    with Session(engine) as session:
        flagged = select(ReviewFlag.review_id).where(ReviewFlag.resolved_at.is_(None))
        rows = list(
            session.scalars(
                select(Review).where((Review.status == "held") | Review.id.in_(flagged)).order_by(Review.id)
            )
        )
        ids = [r.id for r in rows]
        holds: dict[int, list[str]] = {}
        for review_id, reason in session.execute(
            select(ReviewDecision.review_id, ReviewDecision.reason)
            .where(ReviewDecision.review_id.in_(ids), ReviewDecision.action == "hold")
            .order_by(ReviewDecision.id)
        ):
            holds.setdefault(review_id, []).append(reason)
        flags: dict[int, list[ReviewFlag]] = {}
        for flag in session.scalars(
            select(ReviewFlag).where(ReviewFlag.review_id.in_(ids), ReviewFlag.resolved_at.is_(None))
        ):
            flags.setdefault(flag.review_id, []).append(flag)
        names = listings.names(session, {r.clinic_id for r in rows})
    return [
        QueueItem(
            key=r.id,
            clinic_id=r.clinic_id,
            clinic_name=names.get(r.clinic_id, r.clinic_id),
            status=r.status,
            title=r.content.get("title"),
            text=r.content.get("text", ""),
            author=r.content.get("author"),
            label=reviews.label(r),
            treatment=r.treatment,
            held_for=sorted(set(holds.get(r.id, [])), key=holds.get(r.id, []).index)
            if r.status == "held"
            else [],
            flags=flags.get(r.id, []),
        )
        for r in rows
    ]


def decide(engine: Engine, review_key: int, action: str, reason: str, actor: str) -> Review | None:
    """An administrator's decision on a review in the queue: "publish" (within the policy) or
    "remove" with a removal reason. Resolves its open flags. None when it is not in the queue."""
    if action == "publish":
        reason = WITHIN_POLICY
    elif action != "remove" or reason not in REMOVAL_REASONS:
        raise ValueError(f"not a decision: {action} {reason}")
    with Session(engine, expire_on_commit=False) as session, session.begin():
        review = session.get(Review, review_key)
        open_flags = list(
            session.scalars(
                select(ReviewFlag).where(ReviewFlag.review_id == review_key, ReviewFlag.resolved_at.is_(None))
            )
        )
        if review is None or (review.status != "held" and not open_flags):
            return None
        _decide(session, review, action, reason, actor)
        for flag in open_flags:
            flag.resolved_at = now()
        if action == "publish" and review.status != reviews.PUBLISHED:
            reviews.change(session, review, status=reviews.PUBLISHED)
        elif action == "remove":
            reviews.change(session, review, status="removed")
        return review


# --- what the public sees of the log -----------------------------------------------------------


def counts(bind: Engine | Session, clinic_id: str) -> dict:
    """The moderation log of a listing's reviews, counted: decisions by action and reason, the
    reviews removed per reason, and how many reviews were ever held by the checks."""
    with reading(bind) as session:
        rows = session.execute(
            select(ReviewDecision.action, ReviewDecision.reason, func.count())
            .where(ReviewDecision.clinic_id == clinic_id)
            .group_by(ReviewDecision.action, ReviewDecision.reason)
        ).all()
        held = session.scalar(
            select(func.count(distinct(ReviewDecision.review_id))).where(
                ReviewDecision.clinic_id == clinic_id, ReviewDecision.action == "hold"
            )
        )
    decisions: dict[str, dict[str, int]] = {}
    for action, reason, n in rows:
        decisions.setdefault(action, {})[reason] = n
    removed = decisions.get("remove", {})
    return {
        "decisions": sum(n for _, _, n in rows),
        "by_action": decisions,
        "removed": {"total": sum(removed.values()), "reasons": removed},
        "held_reviews": held,
    }
