"""People who sign in (a clinic's staff, administrators): passwords and one-time links.

Passwords are hashed with scrypt; a link (an invitation, or a reset) is a random token shown
once and stored only as its digest, valid for a while and for one use. A login session is a
random token in the browser's cookie and its digest here, so signing out (or a new password)
ends it on the server, and the cookie carries nothing derived from the password.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from registry import listings
from registry.db import as_utc, now
from registry.models import Account, AccountLink, LoginSession
from registry.tokens import digest

LINK_LIFETIME = {"invite": timedelta(days=7), "reset": timedelta(hours=2)}
MIN_PASSWORD_LENGTH = 12
MIN_EMAIL_NAME = 4
# A login session ends after this long without a request, and in any case after SESSION_MOST.
SESSION_IDLE = timedelta(hours=12)
SESSION_MOST = timedelta(days=14)
SESSION_TOUCH = timedelta(minutes=5)  # last_seen_at is written at most this often


class AccountError(ValueError):
    """An invitation or reset that cannot be made; str(error) says why."""


@dataclass(frozen=True)
class LinkHolder:
    email: str
    purpose: str  # invite or reset


def hash_password(password: str) -> str:
    """scrypt through werkzeug (salted, memory-hard)."""
    return generate_password_hash(password, method="scrypt")


def password_problem(password: str, email: str) -> str | None:
    """Too short, or built on the email address (its name part counts from 4 characters on:
    "a@example.com" does not rule out every password with an "a")."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    password, email = password.lower(), email.lower()
    name = email.split("@")[0]
    if password in email or (len(name) >= MIN_EMAIL_NAME and name in password):
        return "Do not use your email address in your password."
    return None


def _issue_link(session: Session, account: Account, purpose: str) -> str:
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


def invite(engine: Engine, email: str, role: str, clinic_id: str | None = None) -> str:
    """An invitation link token for a clinic's staff member (`clinic_id`) or an administrator."""
    email = email.strip().lower()
    with Session(engine) as session, session.begin():
        if clinic_id is not None and not listings.exists(session, clinic_id):
            raise AccountError(f"no listing with id {clinic_id!r}")
        account = session.scalar(select(Account).where(Account.email == email))
        if account is None:
            account = Account(email=email, role=role, clinic_id=clinic_id, created_at=now())
            session.add(account)
            session.flush()
        elif (account.role, account.clinic_id) != (role, clinic_id):
            raise AccountError(f"{email} already has an account for another listing or role")
        return _issue_link(session, account, "invite")


def reset_link(engine: Engine, email: str) -> str:
    """A password-reset link token for an existing account."""
    with Session(engine) as session, session.begin():
        account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
        if account is None:
            raise AccountError(f"no account for {email}")
        return _issue_link(session, account, "reset")


def _valid_link(session: Session, token: str) -> AccountLink | None:
    link = session.scalar(select(AccountLink).where(AccountLink.token_hash == digest(token)))
    if link is None or link.used_at is not None or as_utc(link.expires_at) < now():
        return None
    return link


def link_holder(engine: Engine, token: str) -> LinkHolder | None:
    """Whose password a still valid link sets, and why; None for an unknown, used or expired link."""
    with Session(engine) as session:
        link = _valid_link(session, token)
        if link is None:
            return None
        return LinkHolder(session.get(Account, link.account_id).email, link.purpose)


def use_link(engine: Engine, token: str, password: str) -> Account | None:
    """Set the password through a valid link (which then stops working); the account, signed in."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        link = _valid_link(session, token)
        if link is None:
            return None
        account = session.get(Account, link.account_id)
        account.password_hash = hash_password(password)
        link.used_at = now()
        # A new password ends every session of the account, on every device.
        session.execute(delete(LoginSession).where(LoginSession.account_id == account.id))
    return account


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def sign_in(engine: Engine, email: str, password: str) -> Account | None:
    """The account these credentials open (its last login recorded), or None."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
        if account is None or not account.password_hash:
            # Same work for unknown accounts, so timing does not reveal which emails exist.
            check_password_hash(_DUMMY_HASH, password)
            return None
        if not check_password_hash(account.password_hash, password):
            return None
        account.last_login_at = now()
    return account


def start_session(engine: Engine, account: Account) -> Account:
    """A new login session for `account` (just signed in); its token goes into the cookie."""
    token = secrets.token_urlsafe(32)
    with Session(engine) as session, session.begin():
        stamp = now()
        session.add(
            LoginSession(
                account_id=account.id, token_hash=digest(token), created_at=stamp, last_seen_at=stamp
            )
        )
    account.session_token = token
    return account


def for_session(engine: Engine, token: str) -> Account | None:
    """The account of a live login session; None once it was ended (sign-out, a new password)
    or has expired (SESSION_IDLE without a request, SESSION_MOST in all)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        found = session.scalar(select(LoginSession).where(LoginSession.token_hash == digest(token)))
        if found is None:
            return None
        stamp = now()
        if (
            stamp - as_utc(found.last_seen_at) > SESSION_IDLE
            or stamp - as_utc(found.created_at) > SESSION_MOST
        ):
            session.delete(found)
            return None
        if stamp - as_utc(found.last_seen_at) > SESSION_TOUCH:
            found.last_seen_at = stamp
        account = session.get(Account, found.account_id)
    account.session_token = token
    return account


def end_session(engine: Engine, token: str | None) -> None:
    """Sign-out: the session's cookie stops working at once, wherever a copy of it is."""
    if token:
        with Session(engine) as session, session.begin():
            session.execute(delete(LoginSession).where(LoginSession.token_hash == digest(token)))


def emails_of(engine: Engine, clinic_id: str) -> list[str]:
    """The email addresses of a listing's staff accounts (who hears about its claims)."""
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Account.email).where(Account.clinic_id == clinic_id, Account.role == "clinic")
            )
        )
