"""Partner API keys: created and revoked from the CLI, stored as SHA-256 digests (registry.tokens)."""

from __future__ import annotations

import secrets
import time

import click
from flask import Blueprint, current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.db import now
from registry.models import Partner
from registry.tokens import digest

DEFAULT_RATE_LIMIT = "600 per minute"
KEY_PREFIX = "pd_"

bp = Blueprint("partners", __name__, cli_group="partners")


def create_partner(session: Session, name: str, rate_limit: str, origins: list[str]) -> tuple[Partner, str]:
    """Create a partner and return it with its key (shown once, never stored in clear)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    partner = Partner(
        name=name,
        key_prefix=key[:10],
        key_hash=digest(key),
        rate_limit=rate_limit,
        origins=origins,
        created_at=now(),
    )
    session.add(partner)
    session.flush()
    return partner, key


def partner_for_key(session: Session, key: str) -> Partner | None:
    """The active partner owning `key`, or None for unknown and revoked keys."""
    partner = session.scalar(select(Partner).where(Partner.key_hash == digest(key)))
    if partner is None or partner.revoked_at is not None:
        return None
    return partner


def allowed_origins(session: Session) -> set[str]:
    """Every origin some active partner allows (answers CORS preflights, which carry no key)."""
    rows = session.scalars(select(Partner.origins).where(Partner.revoked_at.is_(None)))
    return {origin for origins in rows for origin in origins}


@bp.cli.command("create")
@click.argument("name")
@click.option("--rate-limit", default=DEFAULT_RATE_LIMIT, show_default=True, help='e.g. "100 per minute"')
@click.option("--origin", "origins", multiple=True, help="Browser origin allowed by CORS (repeatable).")
def create_command(name: str, rate_limit: str, origins: tuple[str, ...]) -> None:
    """Create a partner and print its API key (shown only once)."""
    from limits import parse_many

    try:
        parse_many(rate_limit)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--rate-limit") from err
    with Session(current_app.extensions["store"]) as session, session.begin():
        try:
            _, key = create_partner(session, name, rate_limit, list(origins))
        except IntegrityError as err:
            raise click.ClickException(f"a partner named {name!r} already exists") from err
    click.echo(f"Created partner {name!r} ({rate_limit}). API key (store it now, it is not shown again):")
    click.echo(key)


@bp.cli.command("revoke")
@click.argument("name")
def revoke_command(name: str) -> None:
    """Revoke a partner's key at once."""
    with Session(current_app.extensions["store"]) as session, session.begin():
        partner = session.scalar(select(Partner).where(Partner.name == name))
        if partner is None:
            raise click.ClickException(f"no partner named {name!r}")
        partner.revoked_at = now()
    _key_cache.clear()
    click.echo(
        f"Revoked the key of {name!r} (other app processes stop accepting it within "
        f"{KEY_CACHE_SECONDS:g} seconds)."
    )


@bp.cli.command("list")
def list_command() -> None:
    """List partners with key prefix, limit, origins and state."""
    with Session(current_app.extensions["store"]) as session:
        for p in session.scalars(select(Partner).order_by(Partner.name)):
            state = f"revoked {p.revoked_at:%Y-%m-%d}" if p.revoked_at else "active"
            click.echo(f"{p.name}\t{p.key_prefix}…\t{p.rate_limit}\t{','.join(p.origins) or '-'}\t{state}")


API_KEY_HEADER = "X-API-Key"


# Per-process cache of key lookups: a revoked key stops working within this many seconds
# on every worker (at once on the process that revoked it).
KEY_CACHE_SECONDS = 10.0
_key_cache: dict[str, tuple[float, Partner | None]] = {}


def current_partner() -> Partner | None:
    """The partner whose key this request carries, looked up once per request.

    Sets g.invalid_key when a key was sent but is unknown or revoked.
    """
    if "partner" not in g:
        key = request.headers.get(API_KEY_HEADER, "").strip()
        g.partner = _lookup(key) if key else None
        g.invalid_key = bool(key) and g.partner is None
    return g.partner


def _lookup(key: str) -> Partner | None:
    key_digest = digest(key)
    cached = _key_cache.get(key_digest)
    if cached and time.monotonic() < cached[0]:
        return cached[1]
    with Session(current_app.extensions["store"], expire_on_commit=False) as session:
        partner = partner_for_key(session, key)
        if partner is not None:
            session.expunge(partner)
    if len(_key_cache) > 10_000:
        _key_cache.clear()
    _key_cache[key_digest] = (time.monotonic() + KEY_CACHE_SECONDS, partner)
    return partner
