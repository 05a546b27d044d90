"""Clinics' photos in the store: what a listing shows, and the audited changes to it.

The image files themselves (checked, stripped of metadata, re-encoded) are the web app's
business (`directory.photos`); this module keeps their rows. A change is audited and stamps the
listing's photos as changed (registry.provenance, through the listing-edit service).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.db import now
from registry.listings import audit, photos_changed
from registry.models import Account, Photo, Review

PUBLIC = (Photo.consent.is_(True), Photo.hidden_at.is_(None))


def of_clinic(engine: Engine, clinic_id: str, published_only: bool = False) -> list[Photo]:
    """A listing's own photos in their order (only those the public may see, if asked);
    reviewers' photos are shown with their reviews (`of_reviews`)."""
    query = select(Photo).where(Photo.clinic_id == clinic_id, Photo.review_id.is_(None))
    if published_only:
        query = query.where(*PUBLIC)
    with Session(engine) as session:
        return list(session.scalars(query.order_by(Photo.position, Photo.id)))


def first_published(engine: Engine, clinic_ids: list[str]) -> dict[str, Photo]:
    """The first published photo of each of these listings (one query), for result cards."""
    if not clinic_ids:
        return {}
    own = (Photo.clinic_id.in_(clinic_ids), Photo.review_id.is_(None))
    query = select(Photo).where(*own, *PUBLIC).order_by(Photo.position, Photo.id)
    first: dict[str, Photo] = {}
    with Session(engine) as session:
        for photo in session.scalars(query):
            first.setdefault(photo.clinic_id, photo)
    return first


def of_reviews(engine: Engine, review_keys: list[int]) -> dict[int, list[Photo]]:
    """{review row id: its photos in order} for the reviews among `review_keys` that have any."""
    found: dict[int, list[Photo]] = {}
    if not review_keys:
        return found
    with Session(engine) as session:
        query = select(Photo).where(Photo.review_id.in_(review_keys), *PUBLIC)
        for photo in session.scalars(query.order_by(Photo.review_id, Photo.position)):
            found.setdefault(photo.review_id, []).append(photo)
    return found


def by_key(engine: Engine, file_key: str) -> Photo | None:
    """The photo stored under `file_key` (`photo.public` says whether everyone may see it); a
    reviewer's photo only while its review is published (nobody else sees it before or after)."""
    with Session(engine) as session:
        photo = session.scalar(select(Photo).where(Photo.file_key == file_key))
        of_review = photo is not None and photo.review_id is not None
        if of_review and session.get(Review, photo.review_id).status != "published":
            return None
        return photo


def add(engine: Engine, clinic_id: str, file_key: str, processed, caption: str, account: Account) -> None:
    """A photo after the listing's others (consent given), with its audit row."""
    with Session(engine) as session, session.begin():
        own = (Photo.clinic_id == clinic_id, Photo.review_id.is_(None))
        count = len(session.scalars(select(Photo.id).where(*own)).all())
        session.add(
            Photo(
                clinic_id=clinic_id,
                file_key=file_key,
                content_type=processed.content_type,
                extension=processed.extension,
                width=processed.width,
                height=processed.height,
                caption=caption,
                position=count,
                consent=True,
                uploaded_by=account.email,
                created_at=now(),
            )
        )
        audit(session, clinic_id, account.email, account.role, "photo-added", {"photo": [None, file_key]})
        photos_changed(session, clinic_id, account.role)


def _owned(session: Session, photo_id: int, account: Account) -> Photo | None:
    photo = session.get(Photo, photo_id)
    return photo if photo is not None and account.can_edit(photo.clinic_id) else None


def edit(
    engine: Engine, photo_id: int, caption: str | None, position: int | None, account: Account
) -> str | None:
    """Change a photo's caption and/or position; its listing's id, None if `account` may not."""
    with Session(engine) as session, session.begin():
        photo = _owned(session, photo_id, account)
        if photo is None:
            return None
        if caption is not None:
            photo.caption = caption
        if position is not None:
            photo.position = position
        changes = {"photo": [photo.file_key, photo.caption]}
        audit(session, photo.clinic_id, account.email, account.role, "photo-edited", changes)
        photos_changed(session, photo.clinic_id, account.role)
        return photo.clinic_id


def delete(engine: Engine, photo_id: int, account: Account) -> tuple[str, str] | None:
    """Remove a photo's row; (its listing's id, its file key), None if `account` may not."""
    with Session(engine) as session, session.begin():
        photo = _owned(session, photo_id, account)
        if photo is None:
            return None
        clinic_id, key = photo.clinic_id, photo.file_key
        session.delete(photo)
        audit(session, clinic_id, account.email, account.role, "photo-removed", {"photo": [key, None]})
        photos_changed(session, clinic_id, account.role)
        return clinic_id, key


def recent(engine: Engine, limit: int = 12) -> list[Photo]:
    """The newest photos the public sees, for administrators to look over."""
    with Session(engine) as session:
        return list(session.scalars(select(Photo).where(*PUBLIC).order_by(Photo.id.desc()).limit(limit)))


def hidden(engine: Engine, limit: int = 100) -> list[Photo]:
    """Photos administrators hid, most recently hidden first."""
    query = select(Photo).where(Photo.hidden_at.is_not(None)).order_by(Photo.hidden_at.desc()).limit(limit)
    with Session(engine) as session:
        return list(session.scalars(query))


def hide(engine: Engine, photo_id: int, reason: str, actor: str) -> str | None:
    """Take a photo off the public pages with a reason its clinic sees; its listing's id, or None."""
    with Session(engine) as session, session.begin():
        photo = session.get(Photo, photo_id)
        if photo is None:
            return None
        photo.hidden_reason, photo.hidden_by, photo.hidden_at = reason, actor, now()
        changes = {"photo": [photo.file_key, None], "reason": [None, reason]}
        audit(session, photo.clinic_id, actor, "admin", "photo-hidden", changes)
        photos_changed(session, photo.clinic_id, "admin")
        return photo.clinic_id


def show(engine: Engine, photo_id: int, actor: str) -> str | None:
    """Put a hidden photo back on the public pages; its listing's id, or None."""
    with Session(engine) as session, session.begin():
        photo = session.get(Photo, photo_id)
        if photo is None:
            return None
        photo.hidden_reason = photo.hidden_by = photo.hidden_at = None
        audit(session, photo.clinic_id, actor, "admin", "photo-shown", {"photo": [None, photo.file_key]})
        photos_changed(session, photo.clinic_id, "admin")
        return photo.clinic_id
