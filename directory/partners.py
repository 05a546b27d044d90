"""Partner API keys in the web app: the `flask partners` commands and the key of each request.

The keys themselves are kept by `registry.partners` (only their SHA-256 digests are stored).
"""

from __future__ import annotations

import time

import click
from flask import Blueprint, g, request

from directory.context import store
from registry import partners
from registry.models import Partner
from registry.tokens import digest

DEFAULT_RATE_LIMIT = "600 per minute"
API_KEY_HEADER = "X-API-Key"

bp = Blueprint("partners", __name__, cli_group="partners")


@bp.cli.command("create")
@click.argument("name")
@click.option("--rate-limit", default=DEFAULT_RATE_LIMIT, show_default=True, help='e.g. "100 per minute"')
@click.option("--origin", "origins", multiple=True, help="Browser origin allowed by CORS (repeatable).")
def create_command(name: str, rate_limit: str, origins: tuple[str, ...]) -> None:
    """Create a partner and print its API key (shown only once)."""
    from directory.ratelimit import parse

    try:
        parse(rate_limit)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--rate-limit") from err
    try:
        key = partners.create(store(), name, rate_limit, list(origins))
    except partners.PartnerExists as err:
        raise click.ClickException(f"a partner named {name!r} already exists") from err
    click.echo(f"Created partner {name!r} ({rate_limit}). API key (store it now, it is not shown again):")
    click.echo(key)


@bp.cli.command("revoke")
@click.argument("name")
def revoke_command(name: str) -> None:
    """Revoke a partner's key at once."""
    if not partners.revoke(store(), name):
        raise click.ClickException(f"no partner named {name!r}")
    _key_cache.clear()
    click.echo(
        f"Revoked the key of {name!r} (other app processes stop accepting it within "
        f"{KEY_CACHE_SECONDS:g} seconds)."
    )


@bp.cli.command("list")
def list_command() -> None:
    """List partners with key prefix, limit, origins and state."""
    for p in partners.every(store()):
        state = f"revoked {p.revoked_at:%Y-%m-%d}" if p.revoked_at else "active"
        click.echo(f"{p.name}\t{p.key_prefix}…\t{p.rate_limit}\t{','.join(p.origins) or '-'}\t{state}")


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
    key_digest = digest(key)  # the cache holds no key in clear either
    cached = _key_cache.get(key_digest)
    if cached and time.monotonic() < cached[0]:
        return cached[1]
    partner = partners.for_key(store(), key)
    if len(_key_cache) > 10_000:
        _key_cache.clear()
    _key_cache[key_digest] = (time.monotonic() + KEY_CACHE_SECONDS, partner)
    return partner
