"""Accounts in the web app: the `flask clinics` commands (invitations, reset links) and login
throttling. Passwords, links and sessions themselves are kept by `registry.accounts`.

Login throttling, so that guessing is slow and others' guessing cannot lock the owner out:

- ADDRESS_LIMIT sign-in attempts a minute per client address (behind trusted proxies, the
  client's own address: directory.safety);
- ACCOUNT_LIMIT attempts an hour per account from browsers that have never signed in to it:
  past that, only a browser that has, or the account's reset link, gets in until the hour is over;
- a browser that signed in to an account before carries a signed "known browser" cookie for it
  (a device cookie) and has its own DEVICE_LIMIT attempts an hour there, untouched by anyone
  else's guesses.

So an account takes at most ACCOUNT_LIMIT guesses an hour from strangers, whatever their
number of addresses, while its owner keeps signing in from their usual browsers.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import click
from flask import Blueprint, Response, current_app, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from directory.clinic.mailings import public_url
from directory.context import store
from directory.ratelimit import allowed
from registry import accounts

ADDRESS_LIMIT = "10 per minute"
ACCOUNT_LIMIT = "10 per hour"
DEVICE_LIMIT = "10 per hour"
DEVICE_COOKIE = "known_browser"
DEVICE_LIFETIME = timedelta(days=365)
RESET_LIMIT = "3 per 15 minutes"

cli = Blueprint("clinics_cli", __name__, cli_group="clinics")


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="known-browser")


def _known_browser(email: str) -> str | None:
    """This browser's id if it signed in to `email`'s account before (its cookie says so, signed)."""
    try:
        known = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        return None
    return known.get("b") if isinstance(known, dict) and email in known.get("e", []) else None


def login_refusal(email: str) -> str | None:
    """Why this sign-in attempt is refused before its password is checked; None to check it.

    Every attempt counts (see the module docstring), exactly in the shared store, so parallel
    guesses cannot slip past.
    """
    if not allowed(ADDRESS_LIMIT, "login-ip", request.remote_addr or "?"):
        return "Too many sign-in attempts from your network. Wait a minute and try again."
    browser = _known_browser(email)
    if browser is not None:
        if not allowed(DEVICE_LIMIT, "login-browser", browser):
            return "Too many failed sign-ins from this browser. Wait an hour, or ask us for a reset link."
        return None
    if not allowed(ACCOUNT_LIMIT, "login-account", email):
        return (
            "This account has had too many sign-in attempts from browsers it has not used before. "
            "Sign in from a browser you have used before, wait an hour, or ask us for a reset link."
        )
    return None


def remember_browser(response: Response, email: str) -> Response:
    """After a successful sign-in: this browser is known to `email`'s account from now on."""
    try:
        known = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        known = {}
    browser = known.get("b") if isinstance(known, dict) else None
    emails = [e for e in (known.get("e", []) if isinstance(known, dict) else []) if e != email][-4:]
    value = _devices().dumps({"b": browser or secrets.token_urlsafe(16), "e": [*emails, email]})
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        path=url_for("clinic.login"),
        secure=request.is_secure or current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


def reset_allowed(email: str, address: str) -> bool:
    """At most RESET_LIMIT reset emails per address and per email: no mailbox gets flooded."""
    return all(
        [
            allowed(RESET_LIMIT, "reset-ip", address),
            allowed(RESET_LIMIT, "reset-email", email.strip().lower()),
        ]
    )


def set_password_url(token: str) -> str:
    """The link to send or print: built for PUBLIC_URL, as the CLI and emails have no request."""
    return public_url("clinic.set_password", token=token)


def _link(make) -> None:
    try:
        token = make()
    except accounts.AccountError as err:
        raise click.ClickException(str(err)) from err
    click.echo(set_password_url(token))


@cli.cli.command("invite")
@click.argument("clinic_id")
@click.argument("email")
def invite_command(clinic_id: str, email: str) -> None:
    """Invite a clinic's staff member: prints a one-time link (valid 7 days) to set a password."""
    _link(lambda: accounts.invite(store(), email, "clinic", clinic_id))


@cli.cli.command("invite-admin")
@click.argument("email")
def invite_admin_command(email: str) -> None:
    """Invite an administrator: prints a one-time link (valid 7 days) to set a password."""
    _link(lambda: accounts.invite(store(), email, "admin"))


@cli.cli.command("reset-link")
@click.argument("email")
def reset_command(email: str) -> None:
    """Print a password-reset link (valid 2 hours) for an existing account."""
    _link(lambda: accounts.reset_link(store(), email))
