"""The messages the directory mails about requests and reviews, written from templates/mail/*.txt
and sent through the one mail interface. A message that cannot be sent is logged and reported as
False: the stored change stands either way (the request or review is the record; the mail only
tells about it)."""

from __future__ import annotations

import logging

from flask import render_template

from directory.context import mailer
from registry.mail import MailError

log = logging.getLogger(__name__)


def send(to: str | None, template: str, **context) -> bool:
    """Mail `templates/mail/<template>.txt` (its first line is the subject) to `to`."""
    if not to:
        return False
    subject, _, body = render_template(f"mail/{template}.txt", **context).partition("\n")
    try:
        mailer().send(to, subject.strip(), body.lstrip("\n"))
    except MailError:
        log.warning("could not mail %s to %s", template, to, exc_info=True)
        return False
    return True
