"""The messages the directory mails about consultation requests and reviews, written from
templates/mail/*.txt (the first line is the subject) and sent like every other message
(`directory.clinic.mailings.send`): one that cannot be sent is logged and reported as False, and
the stored change stands either way (the request or review is the record; the mail tells about it)."""

from __future__ import annotations

from flask import render_template

from directory.clinic.mailings import SIGNATURE
from directory.clinic.mailings import send as send_message


def send(to: str | None, template: str, **context) -> bool:
    """Mail `templates/mail/<template>.txt` to `to` (nothing, and False, without an address)."""
    if not to:
        return False
    subject, _, body = render_template(f"mail/{template}.txt", **context).partition("\n")
    return send_message(to, subject.strip(), body.strip() + SIGNATURE)
