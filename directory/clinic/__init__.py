"""Clinic self-service: accounts and sessions, the listing form, photos, consumer reports, the
administrators' queue; and the background thread that retries indexing queued changes."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, Request, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from directory import photos
from directory.background import every
from indexer.sync import index_pending
from registry import accounts as registry_accounts
from registry import outbox
from registry.models import Account

log = logging.getLogger(__name__)
OUTBOX_INTERVAL = 5.0
API_PATH = "/api/"


class SessionInterface(SecureCookieSessionInterface):
    """Session cookies are Secure whenever the request came over HTTPS (also behind a proxy).

    The partner API (API_PATH) has no session: it is key-authenticated and sets no cookie, and
    reading and writing the cookie session costs each API request about as much as its ETag.
    """

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(API_PATH):
            return self.make_null_session(app)  # not saved (Flask skips null sessions)
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def secret_key(app: Flask, root: Path) -> str:
    """DIRECTORY_SECRET_KEY from the environment; for local use only, a key kept in var/."""
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    path = root / "var" / "secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
        log.warning("DIRECTORY_SECRET_KEY is not set: using a generated key in %s (local use only)", path)
    return path.read_text().strip()


def init_app(app: Flask, root: Path) -> None:
    app.config["SECRET_KEY"] = secret_key(app, root)
    app.config.setdefault("SESSION_COOKIE_SECURE", False)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    app.config.setdefault("PHOTO_DIR", str(root / "var" / "photos"))
    # A photo upload may be as large as the photo limit plus the form around it (directory.safety).
    app.config.setdefault("UPLOAD_LIMITS", {})["clinic.photos"] = photos.MAX_BYTES + 256 * 1024
    app.session_interface = SessionInterface()

    csrf = CSRFProtect(app)
    from directory.api import blp as api_blueprint

    csrf.exempt(api_blueprint)  # key-authenticated GETs only; no cookies involved

    login = LoginManager(app)
    login.login_view = "clinic.login"
    login.login_message = "Please sign in to manage your listing."
    login.session_protection = "strong"

    @login.user_loader
    def load_account(session_id: str) -> Account | None:
        return registry_accounts.for_session(app.extensions["store"], session_id)

    from directory.clinic import (  # noqa: F401  (each registers its routes)
        access,
        accounts,
        admin,
        dashboard,
        editing,
        inbox,
        photo_pages,
        reports,
        review_queue,
        review_replies,
        sessions,
    )

    app.register_blueprint(access.bp)  # with the routes of sessions, editing, photo_pages, reports
    app.register_blueprint(admin.bp)
    app.register_blueprint(accounts.cli)
    if app.config.get("OUTBOX_WORKER", not app.testing):
        start_outbox_worker(app)


def start_outbox_worker(app: Flask) -> None:
    """A daemon thread per process that retries queued index updates (Elasticsearch was down)."""

    def drain() -> None:
        if outbox.pending(app.extensions["store"]):
            index_pending(
                app.extensions["store"], app.extensions["elasticsearch"], app.config["SETTINGS"].index
            )

    every(app, "outbox", app.config.get("OUTBOX_INTERVAL", OUTBOX_INTERVAL), drain)
