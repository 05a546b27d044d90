"""Consultation requests through the app: the form (errors, honeypot, limit, CSRF), the clinic's
inbox and mail, the consumer's status link, and who may see and move what."""

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.models import ConsultationRequest

ANA = {
    "name": "Ana Díaz",
    "email": "ana@mail.example",
    "phone": "(919) 555-0142",
    "treatment": "microneedling",
    "days": ["sat", "mon"],
    "times": ["morning"],
    "message": "Acne scars on both cheeks <b>please</b>.",
    "consent": "true",
}


def slug_of(app, clinic_id: str) -> str:
    return app.test_client().get(f"/api/v1/providers/{clinic_id}").get_json()["slug"]


def request_consultation(app, h, clinic_id: str = "good-1", client=None, **changes):
    client = client or app.test_client()
    slug = slug_of(app, clinic_id)
    page = client.get(f"/providers/{slug}").get_data(as_text=True)
    assert "Request a consultation" in page
    return client.post(f"/providers/{slug}/consultation", data={"csrf_token": h.csrf(page), **ANA, **changes})


def stored_requests(app) -> int:
    with Session(app.extensions["store"]) as db:
        return db.scalar(select(func.count()).select_from(ConsultationRequest))


def test_a_request_reaches_the_clinic_inbox_and_mail_and_the_consumer_follows_it(
    clinic_app, clinic_a, h, mail
):
    resp = request_consultation(clinic_app, h)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/consultations/")
    status = clinic_app.test_client().get(resp.headers["Location"])
    assert status.status_code == 200 and "New" in status.get_data(as_text=True)
    assert status.headers["Referrer-Policy"] == "no-referrer" and "noindex" in status.headers["X-Robots-Tag"]

    [to_clinic] = mail.to("owner@clinic-a.test")
    assert to_clinic.subject == "New consultation request: Microneedling (collagen induction therapy)"
    body = to_clinic.body
    assert "ana@mail.example" in body and "(919) 555-0142" in body and "Monday, Saturday" not in body
    assert "Saturday, Monday" in body and "morning" in body and "/clinic/inbox" in body
    assert mail.link("ana@mail.example", "Your consultation request") == resp.headers["Location"]

    inbox = clinic_a.get("/clinic/inbox").get_data(as_text=True)
    assert "Ana Díaz" in inbox and "ana@mail.example" in inbox
    assert "Acne scars on both cheeks &lt;b&gt;please&lt;/b&gt;." in inbox, "consumer text is escaped"
    assert "New (1)" in inbox


def test_mailed_links_are_built_for_the_public_address(clinic_app, clinic_a, h, mail):
    clinic_app.config["PUBLIC_URL"] = "https://directory.example"  # the test client calls localhost
    assert request_consultation(clinic_app, h).status_code == 302
    [received] = mail.to("ana@mail.example")
    [to_clinic] = mail.to("owner@clinic-a.test")
    assert "https://directory.example/consultations/" in received.body
    assert "https://directory.example/clinic/inbox" in to_clinic.body
    assert "localhost" not in received.body + to_clinic.body


def test_form_errors_name_each_field_and_keep_the_input(clinic_app, h):
    resp = request_consultation(clinic_app, h, name=" ", email="", phone="", consent="", message="Keep me")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and stored_requests(clinic_app) == 0
    assert 'href="#field-name">Enter your name; it cannot be left blank' in html
    assert 'href="#field-email">Give an email address or a phone number' in html
    assert 'href="#field-consent">Tick the box to agree that the clinic may contact you' in html
    assert ">Keep me</textarea>" in html and 'value="sat" checked' in html
    bad = request_consultation(clinic_app, h, email="ana@", phone="call me")
    assert "Enter your email address like name@example.com." in bad.get_data(as_text=True)
    assert "Enter your phone number with 7 to 20 digits" in bad.get_data(as_text=True)


def test_a_filled_honeypot_looks_sent_but_stores_nothing(clinic_app, h, mail):
    resp = request_consultation(clinic_app, h, website_url="http://spam.example")
    assert resp.status_code == 200 and "Request sent" in resp.get_data(as_text=True)
    assert stored_requests(clinic_app) == 0 and mail.all() == []


def test_requests_are_limited_per_client(clinic_app, h):
    codes = [request_consultation(clinic_app, h, email=f"p{i}@mail.example").status_code for i in range(6)]
    assert codes == [302] * 5 + [429]
    assert stored_requests(clinic_app) == 5
    elsewhere = clinic_app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"  # another visitor: their own count
    assert request_consultation(clinic_app, h, client=elsewhere, email="q@mail.example").status_code == 302


def test_withdraw_and_erase_through_the_status_link(clinic_app, clinic_a, h):
    location = request_consultation(clinic_app, h).headers["Location"]
    visitor = clinic_app.test_client()
    token = h.csrf(visitor.get(location).get_data(as_text=True))
    assert visitor.post(location + "/withdraw", data={"csrf_token": token}).status_code == 302
    assert "Withdrawn by the consumer" in clinic_a.get("/clinic/inbox").get_data(as_text=True)
    assert visitor.post(location + "/erase", data={"csrf_token": token}).status_code == 302
    inbox = clinic_a.get("/clinic/inbox").get_data(as_text=True)
    assert "ana@mail.example" not in inbox and "Details erased" in inbox
    assert visitor.get(location[:-3] + "xyz").status_code == 404


def test_the_clinic_moves_a_request_and_completion_mails_a_one_time_invitation(clinic_app, clinic_a, h, mail):
    request_consultation(clinic_app, h)
    inbox = clinic_a.get("/clinic/inbox").get_data(as_text=True)
    request_id = re.search(r"/clinic/inbox/(\d+)", inbox).group(1)
    token = h.csrf(inbox)
    for state in ("contacted", "booked"):
        assert (
            clinic_a.post(
                f"/clinic/inbox/{request_id}", data={"csrf_token": token, "state": state}
            ).status_code
            == 302
        )
    back = clinic_a.post(f"/clinic/inbox/{request_id}", data={"csrf_token": token, "state": "new"})
    assert "That step is not possible" in clinic_a.get(back.headers["Location"]).get_data(as_text=True)
    done = clinic_a.post(f"/clinic/inbox/{request_id}", data={"csrf_token": token, "state": "completed"})
    assert "invitation to review" in clinic_a.get(done.headers["Location"]).get_data(as_text=True)
    invitation = mail.link("ana@mail.example", "How was your visit")
    assert clinic_app.test_client().get(invitation).status_code == 200


@pytest.fixture
def b_request_and_review(clinic_app, clinic_b, h):
    """A request to good-2 and a published review of good-2 that good-2 may answer."""
    from registry import consumer_reviews
    from registry.consumer_reviews import Origin

    request_consultation(clinic_app, h, "good-2")
    engine = clinic_app.extensions["store"]
    written = {"rating": 3, "text": "A fair visit to good-2, nothing more to say about it."}
    review = consumer_reviews.confirm(
        engine, consumer_reviews.submit(engine, "good-2", written, "r@x.example", Origin())
    ).review
    with Session(engine) as db:
        request_id = db.scalar(
            select(ConsultationRequest.id).where(ConsultationRequest.clinic_id == "good-2")
        )
    return request_id, review.id


ROUTES = [
    ("get", "/clinic/?clinic=good-2", 403),
    ("get", "/clinic/inbox?clinic=good-2", 403),
    ("post", "/clinic/inbox/{request}", 404),
    ("get", "/clinic/reviews?clinic=good-2", 403),
    ("post", "/clinic/reviews/{review}/response", 404),
    ("post", "/clinic/reviews/{review}/flag", 404),
    ("get", "/admin/reviews", 403),
    ("post", "/admin/reviews/{review}", 403),
]


@pytest.mark.parametrize("method, path, status", ROUTES)
def test_clinic_a_cannot_read_or_act_on_clinic_b_requests_and_reviews(
    clinic_app, clinic_a, b_request_and_review, h, method, path, status
):
    request_id, review_key = b_request_and_review
    token = h.csrf(clinic_a.get("/clinic/inbox").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "state": "declined",
        "response": "Mine now",
        "reason": "spam",
        "note": "x",
        "action": "remove",
    }
    resp = getattr(clinic_a, method)(
        path.format(request=request_id, review=review_key), data=data if method == "post" else None
    )
    assert resp.status_code == status
    assert "ana@mail.example" not in resp.get_data(as_text=True)
    with Session(clinic_app.extensions["store"]) as db:
        assert db.get(ConsultationRequest, request_id).state == "new"
    detail = clinic_app.test_client().get("/api/v1/providers/good-2/reviews").get_json()
    assert [r["response"] for r in detail["items"] if r["verification"] != "feed"] == [None]


def test_signed_out_visitors_reach_no_inbox_dashboard_or_reviews(clinic_app, b_request_and_review, h):
    request_id, review_key = b_request_and_review
    visitor = clinic_app.test_client()
    for path in ("/clinic/", "/clinic/inbox", "/clinic/reviews", "/admin/reviews"):
        resp = visitor.get(path)
        assert resp.status_code == 302 and "/clinic/login" in resp.headers["Location"]
    token = h.csrf(visitor.get("/clinic/login").get_data(as_text=True))
    for path in (
        f"/clinic/inbox/{request_id}",
        f"/clinic/reviews/{review_key}/response",
        f"/admin/reviews/{review_key}",
    ):
        assert visitor.post(path, data={"csrf_token": token, "state": "declined"}).status_code == 302


def test_every_consumer_form_refuses_a_post_without_its_csrf_token(clinic_app, h):
    location = request_consultation(clinic_app, h).headers["Location"]
    slug = slug_of(clinic_app, "good-1")
    visitor = clinic_app.test_client()
    paths = [
        f"/providers/{slug}/consultation",
        f"/providers/{slug}/review",
        f"/providers/{slug}/report",
        f"/providers/{slug}/contact",
        f"/providers/{slug}/reviews/x/helpful",
        location + "/withdraw",
        location + "/erase",
        "/reviews/confirm/" + "t" * 43,
        "/reviews/invitation/" + "t" * 43,
        "/reviews/edit/" + "t" * 43,
        "/reviews/edit/" + "t" * 43 + "/delete",
        "/clinic/inbox/1",
        "/clinic/reviews/1/response",
        "/clinic/reviews/1/flag",
        "/admin/reviews/1",
    ]
    for path in paths:
        assert visitor.post(path, data=ANA).status_code == 400, path
    assert stored_requests(clinic_app) == 1


def test_mailed_links_are_kept_out_of_search_engines_and_the_policy_is_in(clinic_app):
    client = clinic_app.test_client()
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /consultations/" in robots and "Disallow: /reviews/" in robots
    assert "/review-policy" in client.get("/sitemaps/pages.xml").get_data(as_text=True)
    assert client.get("/review-policy").status_code == 200
