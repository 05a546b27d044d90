"""Outgoing mail: one interface for every message the directory sends.

Like Django's email backends, callers build nothing transport-specific: they call
`mailer.send(to, subject, body)` and the backend chosen once from `DIRECTORY_MAIL_URL` delivers it:

- `file:///some/dir` (the default is `var/mail/` in the checkout): each message is written as an
  RFC 5322 `.eml` file and logged, so `make run` and the tests need no mail server; tests read
  the files back with `read_mailbox`.
- `smtp://user:password@host:587` sends with STARTTLS, `smtps://user:password@host:465` over
  TLS, and `smtp://host:25?starttls=false` in plain text (a relay on the same host only).

A failed delivery raises `MailError`; callers decide whether that stops what they were doing
(it never should undo a stored change: the change is the record, the mail only tells about it).
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 10  # seconds; a slow mail server must not hold a web worker for long


class MailError(RuntimeError):
    """The message could not be handed to the mail backend."""


class Backend(Protocol):
    def deliver(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class FileBackend:
    """Writes each message to `directory` as `<time>-<random>.eml` (written whole, then renamed)."""

    directory: Path

    def deliver(self, message: EmailMessage) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml"
            partial = self.directory / f".{name}.part"
            partial.write_bytes(message.as_bytes(policy=policy.default))
            os.replace(partial, self.directory / name)
        except OSError as err:
            raise MailError(f"could not write mail to {self.directory}: {err}") from err
        log.info("mail to %s: %r written to %s", message["To"], message["Subject"], self.directory / name)


@dataclass(frozen=True)
class SmtpBackend:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False  # TLS from the first byte (smtps://)
    starttls: bool = True

    def deliver(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        try:
            if self.tls:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
            with smtp:
                if self.starttls and not self.tls:
                    smtp.starttls(context=context)
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as err:
            raise MailError(f"mail server {self.host}:{self.port} refused the message: {err}") from err
        log.info("mail to %s: %r sent through %s", message["To"], message["Subject"], self.host)


def backend_from_url(url: str) -> Backend:
    """The backend a `DIRECTORY_MAIL_URL` names (see the module docstring)."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileBackend(Path(unquote(parts.path)))
    if parts.scheme in ("smtp", "smtps"):
        options = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        return SmtpBackend(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if parts.scheme == "smtps" else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=parts.scheme == "smtps",
            starttls=options.get("starttls", "true") not in ("false", "0", "no"),
        )
    raise ValueError(f"unsupported mail URL {url!r}: use file:///dir, smtp://host:port or smtps://host:port")


@dataclass(frozen=True)
class Mailer:
    """Sends plain-text messages from one sender through one backend."""

    backend: Backend
    sender: str

    def send(self, to: str, subject: str, body: str, reply_to: str | None = None) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2].strip("> ") or None)
        if reply_to:
            message["Reply-To"] = reply_to
        message.set_content(body)
        self.backend.deliver(message)


def make_mailer(url: str, sender: str) -> Mailer:
    """The mailer for a `DIRECTORY_MAIL_URL` and a `DIRECTORY_MAIL_FROM` (Settings.mail_url, mail_from)."""
    return Mailer(backend_from_url(url), sender)


def read_mailbox(directory: Path) -> list[EmailMessage]:
    """Messages the file backend wrote to `directory`, oldest first (for tests and local use)."""
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in sorted(Path(directory).glob("*.eml"))]
