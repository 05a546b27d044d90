"""Links mailed to consumers (table consumer_links): a random token shown once, stored as its digest.

Purposes and lifetimes: `request` (a consultation request's status page, for as long as the
request is kept), `invite` (write a verified-visit review; one use, 90 days), `confirm` (confirm
a review's email address; one use, 7 days), `edit` (the author's page to edit or delete a review).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import as_utc, now
from registry.models import ConsumerLink
from registry.tokens import digest

LIFETIMES = {"request": None, "invite": timedelta(days=90), "confirm": timedelta(days=7), "edit": None}
ONE_USE = {"invite", "confirm"}


def issue(
    session: Session, purpose: str, *, request_id: int | None = None, review_id: int | None = None
) -> str:
    """A new link's token, in the caller's transaction."""
    token = secrets.token_urlsafe(32)
    lifetime = LIFETIMES[purpose]
    session.add(
        ConsumerLink(
            token_hash=digest(token),
            purpose=purpose,
            request_id=request_id,
            review_id=review_id,
            created_at=now(),
            expires_at=now() + lifetime if lifetime else None,
        )
    )
    return token


def find(session: Session, token: str, purpose: str) -> ConsumerLink | None:
    """The link a token opens, if it is for `purpose`, unexpired and (one-use links) unused."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    link = session.scalar(select(ConsumerLink).where(ConsumerLink.token_hash == digest(token)))
    if link is None or link.purpose != purpose:
        return None
    if link.expires_at is not None and as_utc(link.expires_at) < now():
        return None
    if purpose in ONE_USE and link.used_at is not None:
        return None
    return link
