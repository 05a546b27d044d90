"""The one mail interface: the file backend tests read, and SMTP against a real local server."""

import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from registry.mail import FileBackend, MailError, SmtpBackend, backend_from_url, make_mailer, read_mailbox

SENDER = "Provider Directory <no-reply@directory.example>"


def test_file_backend_writes_one_readable_message_per_send(tmp_path):
    mailer = make_mailer(f"file://{tmp_path / 'mail'}", SENDER)
    mailer.send(
        "zoe@example.com", "Your invitation", "Hello Zoë,\n\nSet your password here.", "help@example.org"
    )
    mailer.send("sam@example.com", "Second", "Another message")

    first, second = read_mailbox(tmp_path / "mail")
    assert (first["To"], first["Subject"], first["Reply-To"]) == (
        "zoe@example.com",
        "Your invitation",
        "help@example.org",
    )
    assert first["From"] == SENDER and first["Message-ID"] and first["Date"]
    assert first.get_content() == "Hello Zoë,\n\nSet your password here.\n"
    assert second["To"] == "sam@example.com"
    assert not list((tmp_path / "mail").glob(".*")), "no partial files are left behind"


def test_unwritable_mail_directory_is_a_mail_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(MailError):
        make_mailer(f"file://{blocker}", SENDER).send("a@example.com", "s", "b")


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def test_smtp_backend_delivers_to_a_real_server():
    inbox = Inbox()
    with socket.socket() as probe:  # a free port for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = f"smtp://127.0.0.1:{port}?starttls=false"
        make_mailer(url, SENDER).send("clinic@example.com", "A consultation request", "Someone asked.")
    finally:
        controller.stop()
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["clinic@example.com"]
    assert b"Subject: A consultation request" in envelope.content


def test_unreachable_smtp_server_is_a_mail_error():
    with pytest.raises(MailError):
        make_mailer("smtp://127.0.0.1:9?starttls=false", SENDER).send("a@example.com", "s", "b")


@pytest.mark.parametrize(
    "url, backend",
    [
        ("file:///var/mail/dir", FileBackend(Path("/var/mail/dir"))),
        ("smtp://mail.example.org", SmtpBackend("mail.example.org", 587)),
        (
            "smtps://u%40x:p%2Fw@mail.example.org",
            SmtpBackend("mail.example.org", 465, "u@x", "p/w", tls=True),
        ),
        ("smtp://relay:25?starttls=false", SmtpBackend("relay", 25, starttls=False)),
    ],
)
def test_mail_urls(url, backend):
    assert backend_from_url(url) == backend


def test_unknown_mail_url_is_refused():
    with pytest.raises(ValueError, match="unsupported mail URL"):
        backend_from_url("carrier-pigeon://loft")
