"""What the public sees of a clinic's own edits: credential names, photos, and the way to sign out."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import CredentialClaim


def save_listing(client, h, changes: dict):
    html = client.get("/clinic/listing").get_data(as_text=True)
    data = {**h.fields(html), **changes, "action": "save"}
    resp = client.post("/clinic/listing", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]


def add_and_verify_credential(clinic_app, clinic, admin, h, code: str, number: str) -> None:
    fields = h.fields(clinic.get("/clinic/listing").get_data(as_text=True))
    row = sum(1 for k in fields if k.endswith("-code") and fields[k])
    save_listing(clinic, h, {f"certifications-{row}-code": code, f"certifications-{row}-number": number})
    with Session(clinic_app.extensions["store"]) as db:
        claim = db.scalar(select(CredentialClaim).where(CredentialClaim.number == number))
    queue = admin.get("/admin/").get_data(as_text=True)
    resp = admin.post(f"/admin/claims/{claim.id}", data={"csrf_token": h.csrf(queue), "decision": "verify"})
    assert resp.status_code == 302


def test_a_credential_a_clinic_adds_shows_its_name_never_its_code(clinic_app, clinic_a, admin, h):
    """Defect 2: consumers saw "✓ board-certified-dermatologist" on the profile, the credential
    table and the result card."""
    add_and_verify_credential(clinic_app, clinic_a, admin, h, "board-certified-dermatologist", "ABD-77")
    visitor = clinic_app.test_client()
    detail = visitor.get("/api/v1/providers/good-1").get_json()
    added = [c for c in detail["certifications"] if c["code"] == "board-certified-dermatologist"]
    assert added[0]["name"] == "Board-certified dermatologist" and added[0]["valid"]
    assert added[0]["issuer"] == "American Board of Dermatology"
    profile = visitor.get(f"/providers/{detail['slug']}").get_data(as_text=True)
    results = visitor.get("/search?location=Charlotte, NC&radius=50mi&limit=50").get_data(as_text=True)
    card = results.split('id="provider-good-1"')[1].split('<li class="card"')[0]
    for html in (profile, card):
        text = re.sub(r"<[^>]+>", " ", html)  # what people read, not attribute values
        assert "board-certified-dermatologist" not in text
        assert "✓ Board-certified dermatologist" in text
    assert '<th scope="row">Board-certified dermatologist</th>' in profile
    assert "American Board of Dermatology" in profile


def test_admin_and_clinic_pages_offer_sign_out(clinic_app, clinic_a, admin, h):
    """Defect 11: the admin queue had no way to sign out."""
    for client, path in ((admin, "/admin/"), (clinic_a, "/clinic/listing"), (clinic_a, "/clinic/audit")):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r'<form method="post" action="/clinic/logout"[^>]*>', html), path
    queue = admin.get("/admin/").get_data(as_text=True)
    resp = admin.post("/clinic/logout", data={"csrf_token": h.csrf(queue)})
    assert resp.status_code == 302 and admin.get("/admin/").status_code == 302


def photo_bytes(colour: tuple) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG")
    return out.getvalue()


def upload(client, h, caption: str, colour: tuple) -> None:
    token = h.csrf(client.get("/clinic/photos").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "caption": caption,
        "consent": "1",
        "photo": (io.BytesIO(photo_bytes(colour)), "p.jpg"),
    }
    resp = client.post("/clinic/photos", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302


@pytest.mark.browser
def test_photos_show_on_the_card_and_open_in_a_lightbox(
    clinic_app, clinic_a, h, browser, serve_app, no_tiles, artifacts, axe
):
    """Defect 11: a before/after photo opened the bare JPEG. Now: a dialog with its caption,
    arrow keys between photos, Escape back to the photo; photos above the opening hours."""
    upload(clinic_a, h, "Acne scars, before and after three sessions", (200, 120, 90))
    upload(clinic_a, h, "Fine lines, six weeks after one session", (90, 120, 200))
    clinic_app.config["TILE_URL"] = no_tiles
    slug = clinic_app.test_client().get("/api/v1/providers/good-1").get_json()["slug"]
    with serve_app(clinic_app) as base:
        page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        page.goto(base + "/search?location=Charlotte, NC&radius=50mi")
        thumb = page.locator("#provider-good-1 img.thumb")
        assert thumb.get_attribute("alt") == "Acne scars, before and after three sessions"
        assert page.evaluate("el => el.naturalWidth", thumb.element_handle()) > 0
        page.goto(base + f"/providers/{slug}")
        headings = page.locator("main h2").all_inner_texts()
        assert headings.index("Before and after") < headings.index("Opening hours")
        page.locator(".photo-grid a").first.click()
        dialog = page.get_by_role("dialog")
        assert dialog.is_visible() and page.url.endswith(slug), "still on the profile"
        assert "Acne scars" in dialog.inner_text() and "(1 of 2)" in dialog.inner_text()
        page.screenshot(path=str(artifacts / "profile-lightbox.png"))
        assert axe(page) == []
        page.keyboard.press("ArrowRight")
        assert "Fine lines" in page.locator("#lightbox-caption").inner_text()
        page.keyboard.press("ArrowLeft")
        assert "Acne scars" in page.locator("#lightbox-caption").inner_text()
        page.keyboard.press("Escape")
        assert dialog.is_hidden()
        assert page.evaluate("document.activeElement.closest('.photo-grid') !== null")
        page.context.close()
