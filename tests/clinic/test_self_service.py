"""Clinic self-service through the app: accounts, ownership, CSRF, concurrency, outbox, audit."""

import io
import time
from urllib.parse import urlparse

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory import create_app
from indexer.sync import index_pending
from registry import outbox
from registry.models import AuditEntry, Clinic, CredentialClaim, ListingReport, OutboxEntry
from registry.settings import Settings


def save(client, h, changes: dict, query: str = "", form_html: str | None = None):
    """Open the listing form (or reuse a page already opened), change fields, submit."""
    html = form_html or client.get(f"/clinic/listing{query}").get_data(as_text=True)
    data = {**h.fields(html), **changes, "action": "save"}
    return client.post(f"/clinic/listing{query}", data=data)


def api_names(app, q: str) -> list[str]:
    return [r["name"] for r in app.test_client().get(f"/api/v1/providers?q={q}").get_json()["results"]]


def test_invite_set_password_login_edit_and_search_sees_it_within_two_seconds(clinic_app, h):
    link = h.invite(clinic_app, "good-3", "staff@clinic.test")
    client = clinic_app.test_client()
    path = urlparse(link).path
    token = h.csrf(client.get(path).get_data(as_text=True))
    short = client.post(path, data={"csrf_token": token, "password": "short", "confirm": "short"})
    assert short.status_code == 400 and "at least 12" in short.get_data(as_text=True)
    client.post(path, data={"csrf_token": token, "password": h.password, "confirm": h.password})
    assert client.get(path).status_code == 410, "an invitation link works once"
    client.post(
        "/clinic/logout", data={"csrf_token": h.csrf(client.get("/clinic/listing").get_data(as_text=True))}
    )
    login_page = client.get("/clinic/login").get_data(as_text=True)
    resp = client.post(
        "/clinic/login",
        data={"csrf_token": h.csrf(login_page), "email": "Staff@Clinic.test", "password": h.password},
    )
    assert resp.status_code == 302
    started = time.monotonic()
    resp = save(client, h, {"name": "Zephyrine Skin Atelier"})
    assert resp.status_code == 302
    assert "Zephyrine Skin Atelier" in api_names(clinic_app, "Zephyrine")
    assert time.monotonic() - started < 2


def login(client, h, email: str, password: str, address: str = "127.0.0.1"):
    page = client.get("/clinic/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    return client.post(
        "/clinic/login",
        data={"csrf_token": h.csrf(page), "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_wrong_password_and_login_throttling_per_address(clinic_app, clinic_a, h):
    client = clinic_app.test_client()
    codes = [login(client, h, f"guess-{n}@clinic.test", "wrong password!").status_code for n in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_guessing_from_many_addresses_cannot_lock_the_owner_out(clinic_app, clinic_a, h):
    """Strangers get ACCOUNT_LIMIT guesses an hour at an account, from any number of addresses;
    the owner's browser, known to the account, still signs in with the right password."""
    email = "owner@clinic-a.test"
    guesses = [
        login(clinic_app.test_client(), h, email, "wrong password!", f"203.0.113.{n}").status_code
        for n in range(11)
    ]
    assert guesses[:10] == [401] * 10 and guesses[10] == 429
    stranger = login(clinic_app.test_client(), h, email, h.password, "198.51.100.7")
    assert stranger.status_code == 429 and "browser you have used before" in stranger.get_data(as_text=True)
    clinic_a.post(
        "/clinic/logout", data={"csrf_token": h.csrf(clinic_a.get("/clinic/listing").get_data(as_text=True))}
    )
    owner = login(clinic_a, h, email, h.password)
    assert owner.status_code == 302 and clinic_a.get("/clinic/listing").status_code == 200


def test_signing_out_ends_the_session_on_the_server(clinic_app, clinic_a, h):
    """A copy of the cookie taken before sign-out does not work after it; the cookie carries
    nothing derived from the password hash."""
    import base64
    import json
    import zlib

    from sqlalchemy import select as sql_select

    from registry.models import Account

    cookie = clinic_a.get_cookie("session").value
    payload = cookie.lstrip(".").split(".")[0]  # a leading "." means zlib-compressed
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    data = json.loads(zlib.decompress(raw) if cookie.startswith(".") else raw)
    with Session(clinic_app.extensions["store"]) as db:
        password_hash = db.scalar(
            sql_select(Account.password_hash).where(Account.email == "owner@clinic-a.test")
        )
    assert "_user_id" in data and password_hash[-16:] not in json.dumps(data)

    thief = clinic_app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/clinic/listing").status_code == 200
    token = h.csrf(clinic_a.get("/clinic/listing").get_data(as_text=True))
    assert clinic_a.post("/clinic/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/clinic/listing").status_code == 302  # to the sign-in page


def test_session_cookie_is_httponly_samesite_and_secure_over_https(clinic_app, h):
    client = clinic_app.test_client()
    h.sign_up(clinic_app, "good-4", "x@clinic.test")
    page = client.get("/clinic/login", base_url="https://localhost").get_data(as_text=True)
    resp = client.post(
        "/clinic/login",
        base_url="https://localhost",
        data={"csrf_token": h.csrf(page), "email": "x@clinic.test", "password": h.password},
    )
    [cookie] = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_a_new_password_ends_older_sessions(clinic_app, clinic_a, h):
    assert clinic_a.get("/clinic/listing").status_code == 200
    link = (
        clinic_app.test_cli_runner()
        .invoke(args=["clinics", "reset-link", "owner@clinic-a.test"])
        .output.strip()
    )
    other = clinic_app.test_client()
    path = urlparse(link).path
    other.post(
        path,
        data={
            "csrf_token": h.csrf(other.get(path).get_data(as_text=True)),
            "password": "another long passphrase",
            "confirm": "another long passphrase",
        },
    )
    assert clinic_a.get("/clinic/listing").status_code == 302  # back to the login page


ROUTES_B = [
    ("get", "/clinic/listing?clinic=good-2"),
    ("post", "/clinic/listing?clinic=good-2"),
    ("get", "/clinic/audit?clinic=good-2"),
    ("get", "/clinic/photos?clinic=good-2"),
    ("post", "/clinic/photos?clinic=good-2"),
]


@pytest.mark.parametrize("method, path", ROUTES_B)
def test_clinic_a_cannot_reach_clinic_b_listing_routes(clinic_app, clinic_a, clinic_b, h, method, path):
    token = h.csrf(clinic_a.get("/clinic/listing").get_data(as_text=True))
    resp = getattr(clinic_a, method)(
        path, data={"csrf_token": token, "name": "Hijacked"} if method == "post" else None
    )
    assert resp.status_code == 403
    with Session(clinic_app.extensions["store"]) as db:
        assert db.get(Clinic, "good-2").record["name"] != "Hijacked"


def upload(client, h, image_bytes: bytes, query: str = "", consent: bool = True, name: str = "before.jpg"):
    token = h.csrf(client.get(f"/clinic/photos{query}").get_data(as_text=True))
    data = {"csrf_token": token, "caption": "Before and after", "photo": (io.BytesIO(image_bytes), name)}
    if consent:
        data["consent"] = "1"
    return client.post(f"/clinic/photos{query}", data=data, content_type="multipart/form-data")


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (35.0, 13.0, 37.0), 3: "W", 4: (80.0, 50.0, 31.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(0x8825), "the input must carry GPS"
    return out.getvalue()


def test_clinic_a_cannot_edit_or_delete_clinic_b_photos(clinic_app, clinic_a, clinic_b, h):
    assert upload(clinic_b, h, jpeg_with_gps()).status_code == 302
    html = clinic_b.get("/clinic/photos").get_data(as_text=True)
    photo_id = int(__import__("re").search(r"/clinic/photos/(\d+)/delete", html).group(1))
    token = h.csrf(clinic_a.get("/clinic/photos").get_data(as_text=True))
    for path in (f"/clinic/photos/{photo_id}", f"/clinic/photos/{photo_id}/delete"):
        assert clinic_a.post(path, data={"csrf_token": token, "caption": "mine"}).status_code == 404
    assert "Before and after" in clinic_b.get("/clinic/photos").get_data(as_text=True)


def test_admin_routes_refuse_clinic_accounts(clinic_app, clinic_a, h):
    token = h.csrf(clinic_a.get("/clinic/listing").get_data(as_text=True))
    assert clinic_a.get("/admin/").status_code == 403
    assert (
        clinic_a.post("/admin/claims/1", data={"csrf_token": token, "decision": "verify"}).status_code == 403
    )
    assert clinic_a.post("/admin/reports/1/resolve", data={"csrf_token": token}).status_code == 403


def test_signed_out_visitors_are_sent_to_login(clinic_app):
    client = clinic_app.test_client()
    for path in ("/clinic/listing", "/clinic/photos", "/clinic/audit", "/admin/"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/clinic/login" in resp.headers["Location"]


def test_requests_without_csrf_token_are_refused(clinic_app, clinic_a, h):
    html = clinic_a.get("/clinic/listing").get_data(as_text=True)
    data = {**h.fields(html), "name": "No token", "action": "save"}
    data.pop("csrf_token")
    resp = clinic_a.post("/clinic/listing", data=data)
    assert resp.status_code == 400
    with Session(clinic_app.extensions["store"]) as db:
        assert db.get(Clinic, "good-1").record["name"] != "No token"
    assert (
        clinic_app.test_client().post("/clinic/login", data={"email": "a", "password": "b"}).status_code
        == 400
    )


def test_field_errors_are_precise_and_input_is_kept(clinic_a, h):
    resp = save(
        clinic_a,
        h,
        {
            "name": "Kept Name",
            "website": "not a url",
            "hours.mon.0.open": "17:00",
            "hours.mon.0.close": "09:00",
            "price_range.min": "500",
            "price_range.max": "100",
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'value="Kept Name"' in html and 'value="not a url"' in html
    assert "Enter the website as a web address" in html
    assert "Monday&#39;s hours: the closing time must be later than the opening time." in html
    assert "The highest price must be the same as or more than the lowest price" in html


def test_two_concurrent_saves_one_wins_one_conflicts(clinic_app, clinic_a, h):
    first_tab = clinic_a.get("/clinic/listing").get_data(as_text=True)
    second_tab = clinic_a.get("/clinic/listing").get_data(as_text=True)
    assert (
        save(
            clinic_a, h, {"name": "First Tab Name", "phone": "+1 704-555-0101"}, form_html=first_tab
        ).status_code
        == 302
    )
    resp = save(clinic_a, h, {"name": "Second Tab Name"}, form_html=second_tab)
    assert resp.status_code == 409 and "NOT saved" in resp.get_data(as_text=True)
    assert 'value="Second Tab Name"' in resp.get_data(as_text=True), "the refused input is kept for the user"
    with Session(clinic_app.extensions["store"]) as db:
        record = db.get(Clinic, "good-1").record
    assert record["name"] == "First Tab Name" and record["phone"] == "+1 704-555-0101"


def test_simultaneous_saves_race_at_the_database(clinic_app, h):
    import threading

    clients = [h.sign_up(clinic_app, "good-5", f"staff{i}@clinic.test") for i in range(2)]
    pages = [c.get("/clinic/listing").get_data(as_text=True) for c in clients]
    opened_at = int(h.fields(pages[0])["version"])
    codes, barrier = [], threading.Barrier(2)

    def run(client, page, name):
        barrier.wait()
        codes.append(save(client, h, {"name": name}, form_html=page).status_code)

    threads = [
        threading.Thread(target=run, args=(c, p, f"Racer {i}"))
        for i, (c, p) in enumerate(zip(clients, pages, strict=True))
    ]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(codes) == [302, 409]
    with Session(clinic_app.extensions["store"]) as db:
        row = db.get(Clinic, "good-5")
        assert row.record["name"] in ("Racer 0", "Racer 1") and row.version == opened_at + 1


def test_fifty_edits_while_elasticsearch_is_down_all_arrive_after_it_returns(clinic_app, es, h, tmp_path):
    settings = clinic_app.config["SETTINGS"]
    admin = h.sign_up(clinic_app, None, "admin@directory.test")
    down = create_app(
        {
            "SETTINGS": Settings(
                **{**settings.__dict__, "elasticsearch_url": "http://127.0.0.1:9", "elasticsearch_timeout": 1}
            ),
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "PHOTO_DIR": str(tmp_path),
        }
    )
    client = down.test_client()
    client.set_cookie("session", admin.get_cookie("session").value)
    ids = [f"good-{i}" for i in range(1, 9)]
    for n in range(50):
        clinic = ids[n % len(ids)]
        resp = save(client, h, {"name": f"Offline edit {n} of {clinic}"}, query=f"?clinic={clinic}")
        assert resp.status_code == 302
    assert outbox.pending(clinic_app.extensions["store"]) == 50
    before = es.count(index=settings.index)["count"]
    result = index_pending(
        clinic_app.extensions["store"], clinic_app.extensions["elasticsearch"], settings.index
    )
    assert result.error is None and outbox.pending(clinic_app.extensions["store"]) == 0
    es.indices.refresh(index=settings.index)
    assert es.count(index=settings.index)["count"] == before == 8
    with Session(clinic_app.extensions["store"]) as db:
        for clinic in ids:
            stored = db.get(Clinic, clinic).record["name"]
            assert es.get(index=settings.index, id=clinic)["_source"]["name"] == stored
            assert stored.startswith("Offline edit") and stored.endswith(clinic)


def test_audit_trail_shows_clinic_edits_and_feed_rows_that_lost(
    clinic_app, clinic_a, h, tmp_path, es, geocoder
):
    import json
    from pathlib import Path

    from indexer.load import load_files

    engine, alias = clinic_app.extensions["store"], clinic_app.config["SETTINGS"].index
    save(clinic_a, h, {"name": "Edited By Clinic"})
    old_row = json.loads(
        (Path(__file__).parents[2] / "fixtures" / "malformed.ndjson").read_text().splitlines()[0]
    )
    feed = tmp_path / "old.ndjson"
    feed.write_text(json.dumps(old_row) + "\n")
    report = load_files([feed], engine, es, alias, geocoder, incremental=True, progress=False)
    assert report.kept_newer == 1
    with Session(engine) as db:
        assert db.get(Clinic, "good-1").record["name"] == "Edited By Clinic"
        actions = [
            (e.source, e.action)
            for e in db.scalars(select(AuditEntry).where(AuditEntry.clinic_id == "good-1"))
        ]
    assert ("clinic", "edit") in actions and ("feed", "kept-newer") in actions
    html = clinic_a.get("/clinic/audit").get_data(as_text=True)
    assert "owner@clinic-a.test" in html and "→ Edited By Clinic</li>" in html
    assert "A data feed sent an older version; your newer listing was kept" in html
    history = html.split('<ol class="history">')[1].split("</ol>")[0]
    assert "{" not in history and "&#34;" not in history, "changes read as words, not JSON"


def test_claimed_credential_is_unverified_until_an_admin_decides(clinic_app, clinic_a, h):
    admin = h.sign_up(clinic_app, None, "admin@directory.test")
    html = clinic_a.get("/clinic/listing").get_data(as_text=True)
    fields = h.fields(html)
    row = sum(1 for k in fields if k.endswith("-code") and fields[k])
    resp = save(
        clinic_a,
        h,
        {
            f"certifications-{row}-code": "board-certified-dermatologist",
            f"certifications-{row}-number": "ABD-123",
            f"certifications-{row}-issuer": "ABD",
        },
        form_html=html,
    )
    assert resp.status_code == 302
    api = clinic_app.test_client().get("/api/v1/providers/good-1").get_json()
    claimed = [c for c in api["certifications"] if c["code"] == "board-certified-dermatologist"]
    assert claimed and claimed[0]["verified"] is False
    with Session(clinic_app.extensions["store"]) as db:
        claim = db.scalar(select(CredentialClaim).where(CredentialClaim.clinic_id == "good-1"))
    queue = admin.get("/admin/").get_data(as_text=True)
    assert "ABD-123" in queue
    token = h.csrf(queue)
    decided = admin.post(
        f"/admin/claims/{claim.id}",
        data={"csrf_token": token, "decision": "reject", "reason": "Number not found"},
    )
    assert decided.status_code == 302 and decided.headers["Location"].endswith("/admin/")
    after = admin.get(decided.headers["Location"])
    assert after.status_code == 200 and "Credential rejected." in after.get_data(as_text=True)
    assert "Number not found" in clinic_a.get("/clinic/listing").get_data(as_text=True)
    api = clinic_app.test_client().get("/api/v1/providers/good-1").get_json()
    assert not [c for c in api["certifications"] if c["code"] == "board-certified-dermatologist"]


def test_admin_verifies_a_claim_and_search_treats_it_as_valid(clinic_app, clinic_a, h):
    admin = h.sign_up(clinic_app, None, "admin@directory.test")
    html = clinic_a.get("/clinic/listing").get_data(as_text=True)
    fields = h.fields(html)
    row = sum(1 for k in fields if k.endswith("-code") and fields[k])
    save(
        clinic_a,
        h,
        {f"certifications-{row}-code": "physician-assistant", f"certifications-{row}-number": "PA-9"},
        form_html=html,
    )
    with Session(clinic_app.extensions["store"]) as db:
        claim = db.scalar(select(CredentialClaim).where(CredentialClaim.clinic_id == "good-1"))
    decided = admin.post(
        f"/admin/claims/{claim.id}",
        data={"csrf_token": h.csrf(admin.get("/admin/").get_data(as_text=True)), "decision": "verify"},
    )
    assert decided.status_code == 302
    after = admin.get(decided.headers["Location"])
    assert after.status_code == 200 and "Credential verified." in after.get_data(as_text=True)
    with Session(clinic_app.extensions["store"]) as db:
        assert db.get(CredentialClaim, claim.id).status == "verified"
    ids = [
        r["id"]
        for r in clinic_app.test_client()
        .get("/api/v1/providers?certification=physician-assistant&limit=100")
        .get_json()["results"]
    ]
    assert "good-1" in ids


def test_consumer_report_lands_in_the_admin_queue(clinic_app, h):
    admin = h.sign_up(clinic_app, None, "admin@directory.test")
    visitor = clinic_app.test_client()
    slug = visitor.get("/api/v1/providers/good-6").get_json()["slug"]
    page = visitor.get(f"/providers/{slug}").get_data(as_text=True)
    resp = visitor.post(
        f"/providers/{slug}/report",
        data={"csrf_token": h.csrf(page), "kind": "closed", "message": "Closed since October <b>really</b>"},
    )
    assert resp.status_code == 302
    queue = admin.get("/admin/").get_data(as_text=True)
    assert "Closed since October &lt;b&gt;really&lt;/b&gt;" in queue
    with Session(clinic_app.extensions["store"]) as db:
        assert db.scalar(select(ListingReport)).status == "open"


def test_uploads_refuse_non_images_oversize_and_bombs_and_strip_gps(clinic_app, clinic_a, h):
    text = upload(clinic_a, h, b"hello, I am not a picture", name="photo.jpg")
    assert text.status_code == 400 and "not an image we accept" in text.get_data(as_text=True)
    big = upload(clinic_a, h, b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024 + 10))
    assert big.status_code == 400 and "the limit is 10 MB" in big.get_data(as_text=True)
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, "PNG")
    refused = upload(clinic_a, h, bomb.getvalue(), name="bomb.png")
    assert refused.status_code == 400 and "megapixels" in refused.get_data(as_text=True)
    no_consent = upload(clinic_a, h, jpeg_with_gps(), consent=False)
    assert no_consent.status_code == 400 and "agreed to publication" in no_consent.get_data(as_text=True)

    assert upload(clinic_a, h, jpeg_with_gps()).status_code == 302
    slug = clinic_app.test_client().get("/api/v1/providers/good-1").get_json()["slug"]
    profile = clinic_app.test_client().get(f"/providers/{slug}").get_data(as_text=True)
    src = __import__("re").search(r'href="(/photos/[^"]+\.jpg)"', profile).group(1)
    stored = clinic_app.test_client().get(src)
    assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
    exif = Image.open(io.BytesIO(stored.data)).getexif()
    assert not exif.get_ifd(0x8825) and len(exif) == 0 and b"Exif" not in stored.data


def test_outbox_rows_survive_a_failed_drain(clinic_app):
    from registry.settings import make_client

    engine, settings = clinic_app.extensions["store"], clinic_app.config["SETTINGS"]
    with Session(engine) as db, db.begin():
        outbox.enqueue(db, "good-1")
    dead = make_client(Settings(elasticsearch_url="http://127.0.0.1:9", elasticsearch_timeout=1))
    result = index_pending(engine, dead, settings.index)
    assert result.error and outbox.pending(engine) == 1
    with Session(engine) as db:
        assert db.scalar(select(OutboxEntry)).attempts == 1


@pytest.mark.parametrize(
    "path",
    [
        "/clinic/listing?clinic=%00",
        "/clinic/audit?clinic=..%2F",
        "/photos/%00.jpg",
        "/photos/x.thumb.jpg",
        "/providers/a--%00",
        "/api/v1/providers/%00",
    ],
)
def test_malformed_ids_in_urls_are_not_found_never_errors(clinic_app, h, path):
    admin = h.sign_up(clinic_app, None, "admin@directory.test")
    assert admin.get(path).status_code == 404


def test_a_change_search_refuses_is_told_to_the_clinic_and_the_administrator(
    clinic_app, clinic_a, admin, h, es
):
    """Elasticsearch refusing the document (here: the index is write-blocked) is not "updated in
    search": the clinic is told its change is saved but not in search, the administrator sees the
    listing in the queue, and the next save after the cause is gone clears it."""
    index = clinic_app.config["SETTINGS"].index
    es.indices.put_settings(index=index, settings={"index.blocks.write": True})
    try:
        saved = save(clinic_a, h, {"name": "Refused By Search"})
        page = clinic_a.get(saved.headers["Location"]).get_data(as_text=True)
        assert "not yet in search" in page and "updated in search" not in page
        queue = admin.get("/admin/").get_data(as_text=True)
        assert "Listings search refused (1)" in queue and "blocked by" in queue
    finally:
        es.indices.put_settings(index=index, settings={"index.blocks.write": None})
    saved = save(clinic_a, h, {"name": "Accepted By Search"})
    assert "updated in search" in clinic_a.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Listings search refused (0)" in admin.get("/admin/").get_data(as_text=True)


def test_one_save_cannot_flood_the_admin_queue_which_is_paged(clinic_app, clinic_a, admin, h):
    """3,000 credential rows in one save are refused (at most MAX_CREDENTIALS a listing); the
    claims a listing may make come to the administrator a page at a time."""
    from registry.schema import MAX_CREDENTIALS

    rows = {f"certifications-{n}-code": "registered-nurse" for n in range(3000)}
    rows |= {f"certifications-{n}-number": f"RN-{n}" for n in range(3000)}
    flood = save(clinic_a, h, rows)
    assert flood.status_code == 400 and f"at most {MAX_CREDENTIALS}" in flood.get_data(as_text=True)
    with Session(clinic_app.extensions["store"]) as db:
        assert db.scalar(select(func.count()).select_from(CredentialClaim)) == 0

    for batch in range(3):  # 60 claims, from 3 saves of 20 new credentials each
        rows = {f"certifications-{n}-code": "registered-nurse" for n in range(MAX_CREDENTIALS)}
        rows |= {f"certifications-{n}-number": f"RN-{batch}-{n}" for n in range(MAX_CREDENTIALS)}
        assert save(clinic_a, h, rows).status_code == 302
    first = admin.get("/admin/").get_data(as_text=True)
    assert "Credential claims (60)" in first and "Page 1 of 3" in first and first.count("RN-") == 25
    last = admin.get("/admin/?claims_page=3").get_data(as_text=True)
    assert "Page 3 of 3" in last and last.count("RN-") == 10
