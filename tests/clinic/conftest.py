"""Eight clinics loaded once per session (the good records of fixtures/malformed.ndjson), with an
app on them; each test starts from that state and leaves it as it found it.

After each test, every listing the test changed is saved back to its loaded record through the
listing-edit service and indexed again, and what tests add beside listings (claims, reports,
photos, consumers' reviews and requests with everything about them, daily counts, queued index
updates, rate-limit windows) is removed, the review aggregates put back to the feed's. Accounts
stay: signing up again issues a new link and a new password.
"""

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse, urlsplit

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from directory import create_app
from indexer import index
from indexer.load import load_files
from indexer.sync import index_pending
from registry import listings, outbox, ratelimits
from registry.db import open_store
from registry.mail import read_mailbox
from registry.models import (
    Clinic,
    ConsultationRequest,
    ConsumerLink,
    CredentialClaim,
    DailyCount,
    ListingReport,
    OutboxEntry,
    Photo,
    ReminderSent,
    Review,
    ReviewDecision,
    ReviewFlag,
    ReviewStats,
    ReviewVote,
)
from registry.settings import Settings

MALFORMED = Path(__file__).parents[2] / "fixtures" / "malformed.ndjson"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def clinic_directory(es_url, es, geocoder, tmp_path_factory, fresh_store, new_alias):
    """The eight good clinics in a store and behind an alias of their own, and an app on them."""
    tmp = tmp_path_factory.mktemp("clinics")
    with fresh_store(tmp) as url:
        settings = Settings(
            elasticsearch_url=es_url,
            index=new_alias("clinics"),
            database_url=url,
            geocode_cache=tmp / "geocode-cache.json",
            mail_url=f"file://{tmp / 'mail'}",
        )
        engine = open_store(url)
        load_files([MALFORMED], engine, es, settings.index, geocoder, progress=False)
        app = create_app(
            {
                "SETTINGS": settings,
                "TESTING": True,
                "PHOTO_DIR": str(tmp / "photos"),
                "SECRET_KEY": "test-secret",
            }
        )
        with Session(engine) as session:
            loaded = {row.id: row.record for row in session.scalars(select(Clinic))}
        yield app, loaded
        engine.dispose()
        app.extensions["store"].dispose()
        index.delete_alias_and_indices(es, settings.index)


@pytest.fixture
def clinic_app(clinic_directory, es):
    app, loaded = clinic_directory
    engine = app.extensions["store"]
    ratelimits.clear(engine)
    with Session(engine) as session:
        versions = {cid: v for cid, v in session.execute(select(Clinic.id, Clinic.version))}
        facts = {cid: f for cid, f in session.execute(select(Clinic.id, Clinic.facts))}
    yield app
    restore(app, loaded, versions, facts, es)


def restore(app, loaded: dict[str, dict], versions: dict[str, int], facts: dict[str, dict], es) -> None:
    """Put back what a test changed (see the module's docstring)."""
    engine = app.extensions["store"]
    with Session(engine) as session, session.begin():
        reviewed = set(session.scalars(select(Review.clinic_id).where(Review.kind != "feed")))
        for table in (
            CredentialClaim,
            ListingReport,
            Photo,
            OutboxEntry,
            ReminderSent,
            ReviewDecision,
            ReviewFlag,
            ReviewVote,
        ):
            session.execute(delete(table))
        for table in (ConsumerLink, DailyCount):
            session.execute(delete(table))
        session.execute(delete(Review).where(Review.kind != "feed"))
        session.execute(delete(ConsultationRequest))
        for clinic_id in reviewed:  # back to the feed's aggregates, and into search
            feed = [r.rating for r in session.scalars(select(Review).where(Review.clinic_id == clinic_id))]
            stats = session.get(ReviewStats, clinic_id)
            for n in range(1, 6):
                setattr(stats, f"stars_{n}", feed.count(n))
                setattr(stats, f"verified_{n}", 0)
            session.add(OutboxEntry(clinic_id=clinic_id, enqueued_at=stats.changed_at, attempts=0))
        now_at = {cid: v for cid, v in session.execute(select(Clinic.id, Clinic.version))}
    for clinic_id, version in now_at.items():
        if version != versions[clinic_id]:
            listings.save(
                engine, clinic_id, loaded[clinic_id], version=str(version), actor="tests", source="feed"
            )
    with Session(engine) as session, session.begin():  # provenance of facts, confirmations included
        for clinic_id, stamped in facts.items():
            session.execute(update(Clinic).where(Clinic.id == clinic_id).values(facts=stamped))
            outbox.enqueue(session, clinic_id)
    result = index_pending(engine, es, app.config["SETTINGS"].index)
    assert result.error is None and not result.failed
    ratelimits.clear(engine)
    app.extensions["tally"].flush(engine)  # counts of this test, if any, then gone
    with Session(engine) as session, session.begin():
        session.execute(delete(DailyCount))
    shutil.rmtree(app.config["PHOTO_DIR"], ignore_errors=True)
    shutil.rmtree(Path(app.config["SETTINGS"].mail_url.removeprefix("file://")), ignore_errors=True)


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


def sign_in_page(page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form in a real browser page (Playwright)."""
    page.goto(base + "/clinic/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def clinic_a(clinic_app):
    return sign_up(clinic_app, "good-1", "owner@clinic-a.test")


@pytest.fixture
def clinic_b(clinic_app):
    return sign_up(clinic_app, "good-2", "owner@clinic-b.test")


@pytest.fixture
def admin(clinic_app):
    return sign_up(clinic_app, None, "admin@directory.test")


class _FormParser(HTMLParser):
    """Collects what a browser would submit: named fields, ticked boxes, chosen options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, list[str]] = {}
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.add(name, a.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                self.add(name, a.get("value", ""))
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self.textarea = name
            self.add(name, "")

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            chosen = [v for v, selected in self.options if selected] or [v for v, _ in self.options[:1]]
            self.add(self.select, chosen[0] if chosen else "")
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_fields(html: str) -> dict:
    """The listing form's current values as the browser would submit them."""
    parser = _FormParser()
    parser.feed(html.split('class="listing-form"', 1)[-1])
    fields = {k: v if len(v) > 1 or k == "treatments" else v[0] for k, v in parser.fields.items()}
    fields.pop("pin_moved", None)
    fields.setdefault("treatments", [])
    return fields


@pytest.fixture
def h():
    """Helpers for tests: csrf(html), fields(html), sign_up(app, clinic_id, email), invite(...),
    sign_in_page(page, base, email) in a browser."""
    from types import SimpleNamespace

    return SimpleNamespace(
        csrf=csrf_token,
        fields=form_fields,
        sign_up=sign_up,
        sign_in_page=sign_in_page,
        invite=invite,
        password=PASSWORD,
    )


@pytest.fixture
def mail(clinic_app):
    """What the app sent, read from its file mail backend: mail.to(address) -> [message],
    mail.all() -> every message (with its `to`), mail.link(address, subject) -> the path of the
    link in the latest message to `address` whose subject contains `subject`."""
    from types import SimpleNamespace

    folder = Path(urlsplit(clinic_app.config["SETTINGS"].mail_url).path)

    def all() -> list:
        return [
            SimpleNamespace(to=m["To"], subject=m["Subject"], body=m.get_content())
            for m in read_mailbox(folder)
        ]

    def to(address: str) -> list:
        return [m for m in all() if m.to == address]

    def link(address: str, subject: str) -> str:
        found = [m for m in to(address) if subject in m.subject]
        assert found, [(m.to, m.subject) for m in all()]
        return urlparse(re.search(r"https?://\S+", found[-1].body).group(0)).path

    return SimpleNamespace(all=all, to=to, link=link)
