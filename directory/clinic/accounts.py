"""Accounts in the web app: the `flask clinics` commands (invitations, reset links) and login
throttling. Passwords and links themselves are kept by `registry.accounts`."""

from __future__ import annotations

import click
from flask import Blueprint, current_app
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from directory.clinic.mailings import public_url
from directory.context import store
from registry import accounts

LOGIN_LIMIT = parse("5 per minute")
RESET_LIMIT = parse("3 per 15 minutes")

cli = Blueprint("clinics_cli", __name__, cli_group="clinics")


def login_allowed(email: str, address: str) -> bool:
    """At most LOGIN_LIMIT attempts per address and per email, counted in the shared store."""
    limiter = FixedWindowRateLimiter(current_app.extensions["rate_limits"])
    return all(
        [
            limiter.hit(LOGIN_LIMIT, "login-ip", address),
            limiter.hit(LOGIN_LIMIT, "login-email", email.strip().lower()),
        ]
    )


def reset_allowed(email: str, address: str) -> bool:
    """At most RESET_LIMIT reset emails per address and per email: no mailbox gets flooded."""
    limiter = FixedWindowRateLimiter(current_app.extensions["rate_limits"])
    return all(
        [
            limiter.hit(RESET_LIMIT, "reset-ip", address),
            limiter.hit(RESET_LIMIT, "reset-email", email.strip().lower()),
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
