"""What the directory writes to people by email: invitations, password resets, claim decisions.

Only the words live here; sending is the one mail interface's job (registry/mail.py). A message
that cannot be sent never undoes what it tells about: `send` logs the failure and says so.
"""

from __future__ import annotations

from flask import current_app, url_for

from directory.context import mailer, store
from registry import listings
from registry.mail import MailError

SIGNATURE = "\n\nThe Provider Directory team\n"


def public_url(endpoint: str, **values) -> str:
    """An absolute link for an email, built for PUBLIC_URL (DIRECTORY_PUBLIC_URL)."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for(endpoint, _external=True, **values)


def send(to: str, subject: str, body: str) -> bool:
    """Send one message; False (and a logged error) when the mail backend refused it."""
    try:
        mailer().send(to, subject, body)
    except MailError:
        current_app.logger.exception("could not send %r to %s", subject, to)
        return False
    return True


def send_invitation(email: str, link: str, clinic_id: str | None) -> bool:
    if clinic_id:
        name = listings.names(store(), {clinic_id}).get(clinic_id, "your clinic")
        subject = f"Manage {name} on Provider Directory"
        what = (
            f"You have been invited to keep the listing of {name} on Provider Directory up to date: "
            "opening hours, prices, treatments, photos and credentials."
        )
    else:
        subject = "You are invited to administer Provider Directory"
        what = "You have been invited to administer Provider Directory: claims, reports and photos."
    body = (
        f"Hello,\n\n{what}\n\nChoose your password here (the link works once, for 7 days):\n{link}\n\n"
        "If you were not expecting this email, you can ignore it." + SIGNATURE
    )
    return send(email, subject, body)


def send_reset(email: str, link: str) -> None:
    body = (
        "Hello,\n\nSomeone (we hope you) asked to reset the password of your Provider Directory "
        f"account.\n\nChoose a new password here (the link works once, for 2 hours):\n{link}\n\n"
        "If you did not ask, ignore this email: your password stays as it is." + SIGNATURE
    )
    send(email, "Reset your Provider Directory password", body)


def send_claim_decision(emails: list[str], credential: str, verified: bool, reason: str | None) -> None:
    editor = public_url("clinic.listing")
    if verified:
        subject = f"Your credential is verified: {credential}"
        news = f"Our team checked your {credential} with its issuer. It now shows with a green tick."
    else:
        subject = f"We could not verify your credential: {credential}"
        news = f"Our team could not verify your {credential}." + (f" The reason: {reason}" if reason else "")
        news += " You can correct it and send it again from your listing."
    body = f"Hello,\n\n{news}\n\nYour listing: {editor}" + SIGNATURE
    for email in emails:
        send(email, subject, body)
