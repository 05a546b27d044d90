"""The administrator's path in a real browser, on a desktop and a phone: invite a clinic from the
web -> the clinic claims a credential -> verify it (no 500: defect 1) -> hide a photo."""

import io
import re
from urllib.parse import urlparse

import pytest
from PIL import Image

pytestmark = pytest.mark.browser


def upload_photo(client, h) -> None:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (170, 110, 90)).save(out, "JPEG")
    token = h.csrf(client.get("/clinic/photos").get_data(as_text=True))
    photo = (io.BytesIO(out.getvalue()), "p.jpg")
    data = {"csrf_token": token, "caption": "Forehead lines", "consent": "1", "photo": photo}
    assert client.post("/clinic/photos", data=data, content_type="multipart/form-data").status_code == 302


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_invite_a_clinic_verify_its_claim_and_hide_a_photo(
    clinic_app, browser, serve_app, no_tiles, h, viewports, viewport, axe, artifacts, mail
):
    clinic_app.config["TILE_URL"] = no_tiles
    h.sign_up(clinic_app, None, "admin@directory.test")
    newcomer = f"owner-{viewport}@clinic-five.test"
    with serve_app(clinic_app) as base:
        admin = browser.new_context(**viewports[viewport]).new_page()
        script_errors = []
        admin.on("pageerror", lambda error: script_errors.append(str(error)))
        admin.goto(base + "/clinic/login")
        assert axe(admin) == []
        admin.get_by_label("Email").fill("admin@directory.test")
        admin.get_by_label("Password").fill(h.password)
        admin.get_by_role("button", name="Sign in").click()
        admin.wait_for_url(re.compile(r"/admin/"))

        # Invite the staff of a clinic, naming it by its public page's address.
        profile = clinic_app.test_client().get("/api/v1/providers/good-5").get_json()["url"]
        admin.get_by_role("link", name="Invite someone").click()
        admin.get_by_label("Email address").fill(newcomer)
        admin.get_by_label("Manage one clinic's listing").check()
        admin.get_by_label("Which clinic").fill(profile)
        admin.get_by_role("button", name="Send the invitation").click()
        assert f"Invitation sent to {newcomer}" in admin.locator(".flashes").inner_text()
        assert axe(admin) == []
        [invitation] = mail.to(newcomer)
        assert "The Opal Med Spa" in invitation.subject
        link = re.search(r"https?://\S+/clinic/set-password/\S+", invitation.body).group(0)

        # The clinic accepts, claims a credential and adds a photo.
        clinic = browser.new_context(**viewports[viewport]).new_page()
        clinic.on("pageerror", lambda error: script_errors.append(str(error)))
        clinic.goto(base + urlparse(link).path)
        clinic.get_by_label("New password").fill(h.password)
        clinic.get_by_label("Repeat it").fill(h.password)
        clinic.get_by_role("button", name="Set password").click()
        clinic.wait_for_url(re.compile(r"/clinic/$"))  # clinics land on their dashboard
        clinic.get_by_role("link", name="Listing", exact=True).click()
        clinic.wait_for_url(re.compile(r"/clinic/listing"))
        free = clinic.evaluate(
            "[...document.querySelectorAll('.cert-row')].find(r => !r.querySelector('select').value).id"
        )
        row = clinic.locator(f"#{free}")
        row.get_by_label("Credential").select_option("nurse-practitioner")
        row.get_by_label("License or certificate number").fill(f"NP-{viewport}-42")
        clinic.get_by_role("button", name="Save listing").click()
        clinic.wait_for_selector("text=Saved.")
        from flask.testing import FlaskClient  # the photo by the test client, signed in the same way

        owner: FlaskClient = clinic_app.test_client()
        page = owner.get("/clinic/login").get_data(as_text=True)
        owner.post(
            "/clinic/login", data={"csrf_token": h.csrf(page), "email": newcomer, "password": h.password}
        )
        upload_photo(owner, h)

        # The queue shows the claim with what to check it against; verifying it answers properly.
        admin.get_by_role("link", name="Queue", exact=True).click()
        card = admin.locator("article", has_text=f"NP-{viewport}-42")
        assert "Licensed nurse practitioner for The Opal Med Spa" in card.inner_text()
        assert "State board of nursing" in card.inner_text()
        assert (
            card.get_by_role("link", name=re.compile("Look it up"))
            .get_attribute("href")
            .startswith("https://")
        )
        assert axe(admin) == []
        admin.screenshot(path=str(artifacts / f"admin-queue-{viewport}.png"), full_page=True)
        with admin.expect_response(lambda r: "/admin/claims/" in r.url) as decided:
            card.get_by_role("button", name="Verify").click()
        assert decided.value.status == 302, "defect 1: Verify answered 500"
        assert "Credential verified." in admin.locator(".flashes").inner_text()
        assert any("verified" in m.subject for m in mail.to(newcomer))

        # Hide the new photo with a reason; the public loses it, the clinic learns why.
        photo = admin.locator(".photo-grid li", has_text="Forehead lines").first
        src = photo.locator("img").get_attribute("src").replace(".thumb", "")
        photo.get_by_label(re.compile("Reason for hiding")).fill("Shows a tattoo that identifies the client")
        photo.get_by_role("button", name=re.compile("Hide")).click()
        assert "Photo hidden" in admin.locator(".flashes").inner_text()
        assert clinic_app.test_client().get(src).status_code == 404
        clinic.get_by_role("link", name="Photos").click()
        assert "Shows a tattoo that identifies the client" in clinic.locator(".photo-grid").inner_text()
        assert axe(clinic) == []

        admin.get_by_role("link", name="Past decisions").click()
        history = admin.locator("main").inner_text()
        assert f"NP-{viewport}-42" in history and "Shows a tattoo" in history
        assert axe(admin) == []
        assert script_errors == []
        admin.context.close()
        clinic.context.close()
