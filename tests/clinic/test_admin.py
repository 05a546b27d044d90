"""The administrators' pages: claims with what to check them against, past decisions, photo
moderation (directory/clinic/admin.py, registry/moderation.py, registry/photos.py)."""

import io
import re

from PIL import Image


def claim(clinic, h, code: str, number: str, expires: str = "") -> None:
    html = clinic.get("/clinic/listing").get_data(as_text=True)
    fields = h.fields(html)
    row = sum(1 for k in fields if k.endswith("-code") and fields[k])
    changes = {
        f"certifications-{row}-code": code,
        f"certifications-{row}-number": number,
        f"certifications-{row}-expires": expires,
        "action": "save",
    }
    assert clinic.post("/clinic/listing", data={**fields, **changes}).status_code == 302


def decide(admin, h, decision: str, reason: str = "") -> str:
    queue = admin.get("/admin/").get_data(as_text=True)
    claim_id = re.search(r'action="/admin/claims/(\d+)"', queue).group(1)
    data = {"csrf_token": h.csrf(queue), "decision": decision, "reason": reason}
    resp = admin.post(f"/admin/claims/{claim_id}", data=data)
    assert resp.status_code == 302
    return admin.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_claim_shows_clinic_issuer_number_expiry_and_the_public_register(clinic_a, admin, h):
    claim(clinic_a, h, "board-certified-dermatologist", "ABD-5150", "2027-06-30")
    queue = admin.get("/admin/").get_data(as_text=True)
    card = queue.split('id="claims-title"')[1].split("</article>")[0]
    assert "Board-certified dermatologist for Bright Skin Lab" in card
    assert "Charlotte, NC" in card and "American Board of Dermatology" in card
    assert "ABD-5150" in card and "June 30, 2027" in card
    assert 'href="https://www.certificationmatters.org/"' in card
    assert 'href="/clinic/listing?clinic=good-1"' in card and 'href="/clinic/public?clinic=good-1"' in card


def test_decisions_are_kept_in_a_history(clinic_a, admin, h):
    claim(clinic_a, h, "physician-assistant", "PA-77")
    page = decide(admin, h, "reject", "No PA-77 in the NCCPA register")
    assert "Credential rejected." in page
    claim(clinic_a, h, "registered-nurse", "RN-88")
    decide(admin, h, "verify")
    history = admin.get("/admin/history").get_data(as_text=True)
    rejected = history.index("Certified physician assistant for Bright Skin Lab")
    verified = history.index("Registered nurse for Bright Skin Lab")
    assert verified < rejected, "newest first"
    assert "“No PA-77 in the NCCPA register”" in history and "By admin@directory.test on" in history
    assert "No PA-77 in the NCCPA register" in clinic_a.get("/clinic/listing").get_data(as_text=True)


def upload(clinic, h, caption: str) -> None:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (150, 90, 70)).save(out, "JPEG")
    token = h.csrf(clinic.get("/clinic/photos").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "caption": caption,
        "consent": "1",
        "photo": (io.BytesIO(out.getvalue()), "a.jpg"),
    }
    assert clinic.post("/clinic/photos", data=data, content_type="multipart/form-data").status_code == 302


def test_a_hidden_photo_leaves_the_public_pages_and_the_clinic_sees_why(clinic_app, clinic_a, admin, h):
    upload(clinic_a, h, "Cheek scars after two sessions")
    visitor = clinic_app.test_client()
    slug = visitor.get("/api/v1/providers/good-1").get_json()["slug"]
    src = re.search(
        r'href="(/photos/[^"]+)"', visitor.get(f"/providers/{slug}").get_data(as_text=True)
    ).group(1)
    assert visitor.get(src).status_code == 200
    queue = admin.get("/admin/").get_data(as_text=True)
    photo_id = re.search(r'action="/admin/photos/(\d+)/hide"', queue).group(1)
    empty = admin.post(f"/admin/photos/{photo_id}/hide", data={"csrf_token": h.csrf(queue), "reason": " "})
    assert "Give a reason" in admin.get(empty.headers["Location"]).get_data(as_text=True)
    reason = "The face is recognisable and the consent form covers the cheek only"
    admin.post(f"/admin/photos/{photo_id}/hide", data={"csrf_token": h.csrf(queue), "reason": reason})

    assert visitor.get(src).status_code == 404
    assert src not in visitor.get(f"/providers/{slug}").get_data(as_text=True)
    results = visitor.get("/search?location=Charlotte, NC&radius=50mi").get_data(as_text=True)
    assert "thumb" not in results.split('id="provider-good-1"')[1].split('<li class="card"')[0]
    own = clinic_a.get("/clinic/photos").get_data(as_text=True)
    assert "Hidden by our team" in own and reason in own
    assert clinic_a.get(src).status_code == 200, "the clinic still sees its own photo"
    history = admin.get("/admin/history").get_data(as_text=True)
    assert reason in history
    admin.post(f"/admin/photos/{photo_id}/show", data={"csrf_token": h.csrf(history)})
    assert visitor.get(src).status_code == 200
    audit = clinic_a.get("/clinic/audit").get_data(as_text=True)
    assert (
        "Photo hidden by our team" in audit and f"Reason: {reason}" in audit and "Photo shown again" in audit
    )
