"""A small directory of eight clinics per test, with invited accounts for two of them."""

import re
from html import unescape
from pathlib import Path
from urllib.parse import urlparse

import pytest

from directory import create_app
from indexer.load import load_files

MALFORMED = Path(__file__).parents[2] / "fixtures" / "malformed.ndjson"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def clinic_app(settings, engine, es, geocoder, tmp_path):
    load_files([MALFORMED], engine, es, settings.index, geocoder, progress=False)
    return create_app(
        {
            "SETTINGS": settings,
            "TESTING": True,
            "PHOTO_DIR": str(tmp_path / "photos"),
            "SECRET_KEY": "test-secret",
        }
    )


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def invite(app, clinic_id: str | None, email: str) -> str:
    args = ["clinics", "invite", clinic_id, email] if clinic_id else ["clinics", "invite-admin", email]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def sign_up(app, clinic_id: str | None, email: str):
    """Invite, set the password through the link, and return the signed-in test client."""
    link = invite(app, clinic_id, email)
    client = app.test_client()
    path = urlparse(link).path
    token = csrf_token(client.get(path).get_data(as_text=True))
    resp = client.post(path, data={"csrf_token": token, "password": PASSWORD, "confirm": PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client


@pytest.fixture
def clinic_a(clinic_app):
    return sign_up(clinic_app, "good-1", "owner@clinic-a.test")


@pytest.fixture
def clinic_b(clinic_app):
    return sign_up(clinic_app, "good-2", "owner@clinic-b.test")


@pytest.fixture
def admin(clinic_app):
    return sign_up(clinic_app, None, "admin@directory.test")


def form_fields(html: str) -> dict:
    """The listing form's current values as the browser would submit them."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        named = re.search(r'name="([^"]+)"[^>]*value="([^"]*)"', tag)
        if named and 'type="checkbox"' not in tag and named.group(1) != "pin_moved":
            fields[named.group(1)] = unescape(named.group(2))
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        fields[name] = unescape(body)
    fields["treatments"] = re.findall(r'name="treatments" value="([^"]+)" checked', html)
    for name, options in re.findall(r'<select name="([^"]+)">(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', options)
        fields[name] = selected.group(1) if selected else ""
    return fields


@pytest.fixture
def h():
    """Helpers for tests: csrf(html), fields(html), sign_up(app, clinic_id, email), invite(...)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        csrf=csrf_token, fields=form_fields, sign_up=sign_up, invite=invite, password=PASSWORD
    )
