"""Clinic and administrator accounts: one-time links, password hashing, login throttling, CLI."""

from __future__ import annotations

import secrets
from datetime import timedelta

import click
from flask import Blueprint, current_app, url_for
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from registry.db import as_utc, now
from registry.models import Account, AccountLink, Clinic
from registry.tokens import digest

LINK_LIFETIME = {"invite": timedelta(days=7), "reset": timedelta(hours=2)}
MIN_PASSWORD_LENGTH = 12
LOGIN_LIMIT = parse("5 per minute")

cli = Blueprint("clinics_cli", __name__, cli_group="clinics")


def hash_password(password: str) -> str:
    """scrypt through werkzeug (salted, memory-hard)."""
    return generate_password_hash(password, method="scrypt")


def password_problem(password: str, email: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if password.lower() in email.lower() or email.split("@")[0].lower() in password.lower():
        return "Do not use your email address in your password."
    return None


def issue_link(session: Session, account: Account, purpose: str) -> str:
    """Create a one-time link token; earlier unused links of the account stop working."""
    for old in session.scalars(
        select(AccountLink).where(AccountLink.account_id == account.id, AccountLink.used_at.is_(None))
    ):
        old.used_at = now()
    token = secrets.token_urlsafe(32)
    session.add(
        AccountLink(
            account_id=account.id,
            token_hash=digest(token),
            purpose=purpose,
            expires_at=now() + LINK_LIFETIME[purpose],
        )
    )
    return token


def valid_link(session: Session, token: str) -> AccountLink | None:
    link = session.scalar(select(AccountLink).where(AccountLink.token_hash == digest(token)))
    if link is None or link.used_at is not None or as_utc(link.expires_at) < now():
        return None
    return link


def authenticate(session: Session, email: str, password: str) -> Account | None:
    account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None or not account.password_hash:
        # Same work for unknown accounts, so timing does not reveal which emails exist.
        check_password_hash(_DUMMY_HASH, password)
        return None
    return account if check_password_hash(account.password_hash, password) else None


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def login_allowed(email: str, address: str) -> bool:
    """At most LOGIN_LIMIT attempts per address and per email, counted in the shared store."""
    limiter = FixedWindowRateLimiter(current_app.extensions["rate_limits"])
    return all(
        [
            limiter.hit(LOGIN_LIMIT, "login-ip", address),
            limiter.hit(LOGIN_LIMIT, "login-email", email.strip().lower()),
        ]
    )


def set_password_url(token: str) -> str:
    """The link to print: built for PUBLIC_URL (DIRECTORY_PUBLIC_URL), as the CLI has no request."""
    base = current_app.config.get("PUBLIC_URL", "http://127.0.0.1:8000")
    with current_app.test_request_context(base_url=base):
        return url_for("clinic.set_password", token=token, _external=True)


def _get_or_create(session: Session, email: str, role: str, clinic_id: str | None) -> Account:
    email = email.strip().lower()
    account = session.scalar(select(Account).where(Account.email == email))
    if account is None:
        account = Account(email=email, role=role, clinic_id=clinic_id, created_at=now())
        session.add(account)
        session.flush()
    elif (account.role, account.clinic_id) != (role, clinic_id):
        raise click.ClickException(f"{email} already has an account for another listing or role")
    return account


@cli.cli.command("invite")
@click.argument("clinic_id")
@click.argument("email")
def invite_command(clinic_id: str, email: str) -> None:
    """Invite a clinic's staff member: prints a one-time link (valid 7 days) to set a password."""
    with Session(current_app.extensions["store"]) as session, session.begin():
        if session.get(Clinic, clinic_id) is None:
            raise click.ClickException(f"no listing with id {clinic_id!r}")
        token = issue_link(session, _get_or_create(session, email, "clinic", clinic_id), "invite")
    click.echo(set_password_url(token))


@cli.cli.command("invite-admin")
@click.argument("email")
def invite_admin_command(email: str) -> None:
    """Invite an administrator: prints a one-time link (valid 7 days) to set a password."""
    with Session(current_app.extensions["store"]) as session, session.begin():
        token = issue_link(session, _get_or_create(session, email, "admin", None), "invite")
    click.echo(set_password_url(token))


@cli.cli.command("reset-link")
@click.argument("email")
def reset_command(email: str) -> None:
    """Print a password-reset link (valid 2 hours) for an existing account."""
    with Session(current_app.extensions["store"]) as session, session.begin():
        account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
        if account is None:
            raise click.ClickException(f"no account for {email}")
        token = issue_link(session, account, "reset")
    click.echo(set_password_url(token))
