"""Consumers' reviews through the app: unconfirmed reviews are never shown, labels everywhere, the
queue and the public moderation counts, clinics' responses and flags, authors' edits, votes."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.models import ReviewDecision

TEXT = "Four sessions for acne scars. The nurse was careful, numbing worked, and my skin is smoother."


def slug_of(app, clinic_id: str) -> str:
    return app.test_client().get(f"/api/v1/providers/{clinic_id}").get_json()["slug"]


def write(app, h, clinic_id="good-3", client=None, files=None, **changes):
    client = client or app.test_client()
    slug = slug_of(app, clinic_id)
    page = client.get(f"/providers/{slug}/review").get_data(as_text=True)
    data = {"csrf_token": h.csrf(page), "rating": "5", "title": "Smoother skin", "text": TEXT}
    data |= {
        "author": "Maya R.",
        "treatment": "microneedling",
        "visit_month": "2026-10",
        "email": "maya@mail.example",
    }
    data |= changes
    if files:
        data |= files
    return client.post(f"/providers/{slug}/review", data=data, content_type="multipart/form-data")


def confirm(app, h, mail, email="maya@mail.example"):
    """Open the confirmation link from the mail and press the button; the page after it."""
    path = mail.link(email, "Confirm your review")
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "Publish my review" in page.get_data(as_text=True)
    return client.post(path, data={"csrf_token": h.csrf(page.get_data(as_text=True))})


def api_reviews(app, clinic_id="good-3", **params) -> dict:
    return (
        app.test_client()
        .get(f"/api/v1/providers/{clinic_id}/reviews", query_string={"limit": 100, **params})
        .get_json()
    )


def ours(app, clinic_id="good-3") -> list[dict]:
    return [r for r in api_reviews(app, clinic_id)["items"] if r["verification"] != "feed"]


def profile(app, clinic_id="good-3", **params) -> str:
    return (
        app.test_client()
        .get(f"/providers/{slug_of(app, clinic_id)}", query_string=params)
        .get_data(as_text=True)
    )


def test_an_unconfirmed_review_is_never_shown_and_a_confirmed_one_is_labelled(clinic_app, h, mail):
    before = clinic_app.test_client().get("/api/v1/providers/good-3/reviews/summary").get_json()
    resp = write(clinic_app, h)
    assert resp.status_code == 200 and "Check your email" in resp.get_data(as_text=True)
    assert "Smoother skin" not in profile(clinic_app) and ours(clinic_app) == []
    assert clinic_app.test_client().get("/api/v1/providers/good-3/reviews/summary").get_json() == before
    assert clinic_app.test_client().get("/api/v1/providers?q=Cypress").get_json()["results"][0][
        "rating"
    ] == before["rating"] | {
        "average": round(before["rating"]["average"], 2),
        "weighted": round(before["rating"]["weighted"], 3),
    }

    path = mail.link("maya@mail.example", "Confirm your review")
    assert clinic_app.test_client().get(path).status_code == 200  # a mail scanner's visit publishes nothing
    assert ours(clinic_app) == []
    done = confirm(clinic_app, h, mail)
    assert "Your review is published" in done.get_data(as_text=True)
    [mine] = ours(clinic_app)
    assert (mine["verification"], mine["label"], mine["verified"]) == (
        "confirmed",
        "Confirmed reviewer",
        False,
    )
    assert mine["treatment"]["code"] == "microneedling" and mine["visit_month"] == "2026-10"
    html = profile(clinic_app)
    assert re.search(r'class="kind confirmed"[^>]*>\s*Confirmed reviewer<', html) and "Smoother skin" in html
    assert "From a partner site" in html, "feed reviews keep their source label"
    after = clinic_app.test_client().get("/api/v1/providers/good-3/reviews/summary").get_json()
    assert (
        after["rating"]["count"] == before["rating"]["count"] + 1
        and after["rating"]["histogram"]["5"] == before["rating"]["histogram"]["5"] + 1
    )
    assert after["verified_visits"]["count"] == 0
    search = clinic_app.test_client().get("/api/v1/providers?q=Cypress").get_json()["results"][0]["rating"]
    assert search["count"] == after["rating"]["count"], "search has the new aggregates"
    assert clinic_app.test_client().post(path, data={"csrf_token": "x"}).status_code == 400
    edit_link = mail.link("maya@mail.example", "is published")
    assert "/reviews/edit/" in edit_link


def test_review_form_errors_are_precise_and_kept(clinic_app, h, mail):
    resp = write(clinic_app, h, rating="", text="Too short", email="maya@", visit_month="2031-01")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'href="#field-rating">Choose your rating: from 1 star (poor) to 5 stars (excellent).' in html
    assert "Your review must be at least 20 characters." in html and ">Too short</textarea>" in html
    assert "Enter your email address like name@example.com." in html
    assert "Enter the month of your visit as a year and month like 2026-05, no later than this month." in html
    assert mail.all() == []


def test_held_reviews_wait_in_a_queue_that_hides_the_rating_and_removals_are_counted_in_public(
    clinic_app, h, mail
):
    admin = h.sign_up(clinic_app, None, "admin@directory.test")
    write(clinic_app, h, text=TEXT + " Book cheaper at www.needledeals.example", rating="1")
    held = confirm(clinic_app, h, mail).get_data(as_text=True)
    assert "Your review is being checked" in held and "a web link, an email address or a phone number" in held
    assert ours(clinic_app) == []
    queue = admin.get("/admin/reviews").get_data(as_text=True)
    assert "needledeals" in queue and "★" not in queue and "out of 5" not in queue
    key = re.search(r"/admin/reviews/(\d+)", queue).group(1)
    token = h.csrf(queue)
    assert (
        admin.post(f"/admin/reviews/{key}", data={"csrf_token": token, "action": "remove"}).status_code == 302
    )
    assert (
        admin.post(
            f"/admin/reviews/{key}", data={"csrf_token": token, "action": "remove", "reason": "spam"}
        ).status_code
        == 302
    )
    assert "removed your review under our review policy: spam" in mail.all()[-1].body

    summary = clinic_app.test_client().get("/api/v1/providers/good-3/reviews/summary").get_json()
    with Session(clinic_app.extensions["store"]) as db:
        recorded = db.execute(
            select(ReviewDecision.action, ReviewDecision.reason, func.count())
            .where(ReviewDecision.clinic_id == "good-3")
            .group_by(ReviewDecision.action, ReviewDecision.reason)
        ).all()
    assert {(a, r): n for a, r, n in recorded} == {("hold", "links-or-contact"): 1, ("remove", "spam"): 1}
    assert summary["moderation"]["by_action"] == {"hold": {"links-or-contact": 1}, "remove": {"spam": 1}}
    assert (
        summary["moderation"]["removed"] == {"total": 1, "reasons": {"spam": 1}}
        and summary["moderation"]["decisions"] == 2
    )
    text = re.sub(
        r"\s+", " ", re.search(r'<div class="moderation".*?</div>', profile(clinic_app), re.S).group(0)
    )
    assert "1 review removed: 1 spam." in text and "1 review held by the automatic checks" in text
    assert "2 decisions recorded" in text
    assert (
        admin.post(f"/admin/reviews/{key}", data={"csrf_token": token, "action": "publish"}).status_code
        == 404
    )


def test_the_clinic_responds_once_edits_it_and_flags_without_removing(clinic_app, h, mail):
    clinic = h.sign_up(clinic_app, "good-3", "desk@cypress.test")
    admin = h.sign_up(clinic_app, None, "admin@directory.test")
    write(clinic_app, h, rating="2")
    confirm(clinic_app, h, mail)
    page = clinic.get("/clinic/reviews").get_data(as_text=True)
    key = re.search(r"/clinic/reviews/(\d+)/response", page).group(1)
    token = h.csrf(page)
    assert (
        clinic.post(
            f"/clinic/reviews/{key}/response", data={"csrf_token": token, "response": " "}
        ).status_code
        == 302
    )
    assert ours(clinic_app)[0]["response"] is None
    clinic.post(f"/clinic/reviews/{key}/response", data={"csrf_token": token, "response": "Thank you, Maya."})
    clinic.post(
        f"/clinic/reviews/{key}/response", data={"csrf_token": token, "response": "Thank you, Maya. Call us."}
    )
    assert ours(clinic_app)[0]["response"]["text"] == "Thank you, Maya. Call us."
    assert "Response from Cypress Skin Institute" in profile(clinic_app)
    assert "Every review has your response" in clinic.get("/clinic/reviews").get_data(as_text=True)

    flagged = clinic.post(
        f"/clinic/reviews/{key}/flag", data={"csrf_token": token, "reason": "fake", "note": "Not our client."}
    )
    assert flagged.status_code == 302 and len(ours(clinic_app)) == 1, "a flag never takes a review down"
    queue = admin.get("/admin/reviews").get_data(as_text=True)
    assert "Not our client." in queue and "Keep published" in queue
    admin.post(f"/admin/reviews/{key}", data={"csrf_token": h.csrf(queue), "action": "publish"})
    assert (
        "Nothing waiting" in admin.get("/admin/reviews").get_data(as_text=True) and len(ours(clinic_app)) == 1
    )
    summary = (
        clinic_app.test_client().get("/api/v1/providers/good-3/reviews/summary").get_json()["moderation"]
    )
    assert summary["by_action"]["publish"] == {"checks-passed": 1, "within-policy": 1}


def test_the_author_edits_and_deletes_through_the_link_and_the_numbers_follow(clinic_app, h, mail):
    base = clinic_app.test_client().get("/api/v1/providers/good-3/reviews/summary").get_json()["rating"]
    write(clinic_app, h, rating="5")
    confirm(clinic_app, h, mail)
    link = mail.link("maya@mail.example", "is published")
    author = clinic_app.test_client()
    form = author.get(link).get_data(as_text=True)
    assert 'value="5" checked' in form and "Smoother skin" in form
    data = {
        **h.fields(form),
        "rating": "2",
        "text": TEXT + " Update: redness came back.",
        "csrf_token": h.csrf(form),
    }
    assert author.post(link, data=data).status_code == 302
    [mine] = ours(clinic_app)
    assert mine["rating"] == 2 and mine["edited"] and "redness" in mine["text"]
    rating = clinic_app.test_client().get("/api/v1/providers/good-3/reviews/summary").get_json()["rating"]
    assert (
        rating["histogram"]["2"] == base["histogram"]["2"] + 1
        and rating["histogram"]["5"] == base["histogram"]["5"]
    )
    gone = author.post(link + "/delete", data={"csrf_token": h.csrf(form)})
    assert gone.status_code == 200 and ours(clinic_app) == []
    assert (
        clinic_app.test_client().get("/api/v1/providers/good-3/reviews/summary").get_json()["rating"] == base
    )
    assert author.get(link).status_code == 404


def test_helpful_counts_once_per_reader_and_sorts(clinic_app, h, mail):
    write(clinic_app, h)
    confirm(clinic_app, h, mail)
    [mine] = ours(clinic_app)
    slug = slug_of(clinic_app, "good-3")
    reader = clinic_app.test_client()
    token = h.csrf(reader.get(f"/providers/{slug}").get_data(as_text=True))
    for _ in range(3):
        assert (
            reader.post(
                f"/providers/{slug}/reviews/{mine['id']}/helpful", data={"csrf_token": token}
            ).status_code
            == 302
        )
    assert ours(clinic_app)[0]["helpful"] == 1
    assert api_reviews(clinic_app, sort="helpful")["items"][0]["id"] == mine["id"]
    assert (
        reader.post(f"/providers/{slug}/reviews/nope/helpful", data={"csrf_token": token}).status_code == 404
    )


def test_reviews_are_limited_per_client(clinic_app, h):
    client = clinic_app.test_client()
    codes = [
        write(clinic_app, h, client=client, email=f"p{i}@mail.example", text=f"{TEXT} ({i})").status_code
        for i in range(6)
    ]
    assert codes == [200] * 5 + [429]
    assert "several reviews in the last hour" in write(clinic_app, h, client=client).get_data(as_text=True)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (180, 120, 100)).save(out, "JPEG")
    return out.getvalue()


def test_a_reviewers_photos_are_public_only_once_the_review_is(clinic_app, h, mail):
    refused = write(clinic_app, h, files={"photos": (io.BytesIO(jpeg()), "before.jpg")})
    assert (
        refused.status_code == 400
        and "Tick the box to confirm that the photos show you" in refused.get_data(as_text=True)
    )
    write(clinic_app, h, files={"photos": (io.BytesIO(jpeg()), "before.jpg"), "photo_consent": "1"})
    from registry.models import Photo

    with Session(clinic_app.extensions["store"]) as db:
        photo = db.scalar(select(Photo).where(Photo.review_id.is_not(None)))
    src = f"/photos/{photo.file_key}.thumb.{photo.extension}"
    assert clinic_app.test_client().get(src).status_code == 404, "not before the review is published"
    confirm(clinic_app, h, mail)
    [mine] = ours(clinic_app)
    assert mine["photos"][0]["thumbnail"].endswith(src)
    assert clinic_app.test_client().get(src).status_code == 200
    assert (
        src
        not in clinic_app.test_client()
        .get(f"/providers/{slug_of(clinic_app, 'good-3')}")
        .get_data(as_text=True)
        .split('id="reviews"')[0]
    )


def test_the_review_form_takes_its_photos_while_other_forms_keep_the_small_body_limit(clinic_app, h):
    big = io.BytesIO(b"\xff\xd8" + b"\0" * 3 * 1024 * 1024)  # 3 MB: past MAX_BODY, under a photo's limit
    refused = write(clinic_app, h, files={"photos": (big, "before.jpg"), "photo_consent": "1"})
    assert refused.status_code == 400 and "photos" in refused.get_data(as_text=True), "read, then refused"
    slug = slug_of(clinic_app, "good-3")
    client = clinic_app.test_client()
    page = client.get(f"/providers/{slug}/consultation").get_data(as_text=True)
    data = {"csrf_token": h.csrf(page), "message": "x" * 3 * 1024 * 1024}
    assert client.post(f"/providers/{slug}/consultation", data=data).status_code == 413


@pytest.mark.parametrize(
    "path", ["/reviews/confirm/", "/reviews/invitation/", "/reviews/edit/", "/consultations/"]
)
def test_unknown_links_are_not_found_and_private(clinic_app, path):
    resp = clinic_app.test_client().get(path + "A" * 43)
    assert resp.status_code == 404 and resp.headers["Cache-Control"] == "no-store"


HOSTILE = [
    {"rating": "5abc"},
    {"rating": "999999999999999999999999"},
    {"text": "nul\x00byte in the middle of a long enough review text"},
    {"text": "x" * 20_000},
    {"email": "maya@mail.example\nBcc: everyone@example.com"},
    {"visit_month": "2026-13"},
    {"treatment": "<script>alert(1)</script>"},
    {"title": "{{ 7 * 7 }} <b>bold</b>"},
]


@pytest.mark.parametrize("changes", HOSTILE)
def test_hostile_review_input_is_refused_or_escaped_never_an_error(clinic_app, h, changes, mail):
    resp = write(clinic_app, h, **changes)
    assert resp.status_code in (200, 400), resp.status_code
    html = resp.get_data(as_text=True)
    assert "Traceback" not in html and "<script>alert(1)</script>" not in html
    if resp.status_code == 200:  # accepted: it is stored as typed and shown escaped
        confirm(clinic_app, h, mail)
        assert (
            "{{ 7 * 7 }} &lt;b&gt;bold&lt;/b&gt;" in profile(clinic_app)
            and "49" not in ours(clinic_app)[0]["title"]
        )
    assert [m for m in mail.all() if "Bcc" in str(m.to)] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/providers/good-3/reviews?cursor=" + "A" * 400,
        "/api/v1/providers/good-3/reviews?limit=100000",
        "/api/v1/providers/good-3/reviews?verified_only=maybe",
        "/api/v1/providers/%00/reviews",
        "/providers/x--good-3?verified_only=maybe&review_sort=%00&review_page=-1",
        "/clinic/inbox?state=%3Cscript%3E",
        "/consultations/" + "A" * 5000,
    ],
)
def test_odd_urls_are_answered_plainly(clinic_app, h, path):
    clinic = h.sign_up(clinic_app, "good-3", "desk@cypress.test")
    resp = clinic.get(path, follow_redirects=True)
    assert resp.status_code in (200, 400, 404) and "Traceback" not in resp.get_data(as_text=True)
