"""Partner sites' API keys: created once (the key is shown once, only its digest is kept),
looked up per request, revoked at once."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.db import now
from registry.models import Partner
from registry.tokens import digest

KEY_PREFIX = "pd_"


class PartnerExists(ValueError):
    pass


def create(engine: Engine, name: str, rate_limit: str, origins: list[str]) -> str:
    """Create a partner and return its key (shown once, never stored in clear)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    partner = Partner(
        name=name,
        key_prefix=key[:10],
        key_hash=digest(key),
        rate_limit=rate_limit,
        origins=origins,
        created_at=now(),
    )
    try:
        with Session(engine) as session, session.begin():
            session.add(partner)
    except IntegrityError as err:
        raise PartnerExists(name) from err
    return key


def for_key(engine: Engine, key: str) -> Partner | None:
    """The active partner owning `key` (detached from the store), None for unknown and revoked keys."""
    with Session(engine, expire_on_commit=False) as session:
        partner = session.scalar(select(Partner).where(Partner.key_hash == digest(key)))
    if partner is None or partner.revoked_at is not None:
        return None
    return partner


def allowed_origins(engine: Engine) -> set[str]:
    """Every origin some active partner allows (answers CORS preflights, which carry no key)."""
    with Session(engine) as session:
        rows = session.scalars(select(Partner.origins).where(Partner.revoked_at.is_(None)))
        return {origin for origins in rows for origin in origins}


def revoke(engine: Engine, name: str) -> bool:
    """Revoke a partner's key; False when no partner has that name."""
    with Session(engine) as session, session.begin():
        partner = session.scalar(select(Partner).where(Partner.name == name))
        if partner is None:
            return False
        partner.revoked_at = now()
        return True


def every(engine: Engine) -> list[Partner]:
    with Session(engine) as session:
        return list(session.scalars(select(Partner).order_by(Partner.name)))
