"""A clinic prices each treatment in its form and confirms unchanged facts with one click; people
see who confirmed what and when, and facts left unconfirmed too long as possibly out of date."""

import time
from datetime import UTC, datetime, timedelta

from markupsafe import escape
from sqlalchemy import update
from sqlalchemy.orm import Session

from indexer.sync import index_pending
from registry import listings, outbox, provenance
from registry.models import Clinic


def form(client, h) -> dict:
    return h.fields(client.get("/clinic/listing").get_data(as_text=True))


def test_prices_per_treatment_from_the_form_reach_the_api_and_search(clinic_app, clinic_a, h):
    data = form(clinic_a, h)
    treatments = data["treatments"]
    first = treatments[0]
    data.update(
        {
            "prices-0-treatment": first,
            "prices-0-unit": "session",
            "prices-0-min": "180",
            "prices-0-max": "",
            "prices-1-treatment": first,
            "prices-1-unit": "package",
            "prices-1-min": "480",
            "prices-1-max": "480",
            "prices-1-sessions": "3",
            "prices-1-note": "Aftercare kit included",
            "action": "save",
        }
    )
    resp = clinic_a.post("/clinic/listing", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    web = clinic_app.test_client()
    detail = web.get("/api/v1/providers/good-1").get_json()
    assert {(p["unit"], p["min"], p["max"], p.get("sessions")) for p in detail["prices"]} == {
        ("session", 180, 180, None),
        ("package", 480, 480, 3),
    }
    assert detail["session_prices"][first]["min"] == 180
    found = web.get(f"/api/v1/providers?treatment={first}&max_price=180").get_json()["results"]
    assert "good-1" in {r["id"] for r in found}
    (mine,) = [r for r in found if r["id"] == "good-1"]
    assert mine["price"]["treatment"] == first and mine["price"]["min"] == 180
    history = clinic_a.get("/clinic/audit").get_data(as_text=True)
    assert "$180 a session" in history and "$480 for 3 sessions" in history


def test_a_price_for_a_treatment_not_offered_is_named_at_its_field(clinic_a, h):
    data = form(clinic_a, h)
    offered = set(data["treatments"])
    other = next(code for code in ("botox", "dermaplaning", "hydrafacial") if code not in offered)
    data.update({"prices-0-treatment": other, "prices-0-min": "100", "action": "save"})
    resp = clinic_a.post("/clinic/listing", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'href="#f-prices-0-treatment"' in html and "under Treatments, or remove its price" in html


def test_confirming_prices_shows_on_the_profile_and_in_the_api_within_two_seconds(clinic_app, clinic_a, h):
    web = clinic_app.test_client()
    before = web.get("/api/v1/providers/good-1").get_json()["facts"]["prices"]
    html = clinic_a.get("/clinic/listing").get_data(as_text=True)
    assert "Is your listing still right?" in html
    clicked = time.monotonic()
    resp = clinic_a.post("/clinic/confirm", data={"csrf_token": h.csrf(html), "groups": "prices"})
    assert resp.status_code == 302
    after = web.get("/api/v1/providers/good-1").get_json()
    assert time.monotonic() - clicked < 2
    flashed = clinic_a.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Confirmed as still right: treatments and prices." in flashed
    prices = after["facts"]["prices"]
    assert prices["source"] == "clinic" and prices["confirmed_at"] > before["confirmed_at"]
    assert prices["changed_at"] == before["changed_at"] and prices["stale"] is False
    today = datetime.now(UTC)
    words = f"Treatments and prices confirmed by the clinic on {today:%B} {today.day}, {today.year}"
    assert words in web.get(f"/providers/{after['slug']}").get_data(as_text=True)
    searched = web.get("/api/v1/providers?q=" + after["name"].split()[0]).get_json()["results"]
    assert any(r["id"] == "good-1" and r["facts"]["prices"]["source"] == "clinic" for r in searched)
    history = clinic_a.get("/clinic/audit").get_data(as_text=True)
    assert "Facts confirmed as still right" in history and "Treatments and prices" in history


def test_another_clinic_cannot_confirm_and_nothing_to_confirm_is_refused(clinic_a, clinic_b, h):
    html = clinic_b.get("/clinic/listing").get_data(as_text=True)
    token = h.csrf(html)
    assert (
        clinic_b.post(
            "/clinic/confirm", data={"csrf_token": token, "groups": "prices", "clinic": "good-1"}
        ).status_code
        == 403
    )
    assert (
        clinic_b.post("/clinic/confirm", data={"csrf_token": token, "groups": "nonsense"}).status_code == 400
    )
    assert clinic_b.post("/clinic/confirm", data={"groups": "prices"}).status_code == 400  # no CSRF token


def test_facts_not_confirmed_for_too_long_are_marked_on_profile_and_card(clinic_app):
    engine, es = clinic_app.extensions["store"], clinic_app.extensions["elasticsearch"]
    old = datetime.now(UTC) - timedelta(days=200)
    stored = listings.get(engine, "good-2")
    facts = provenance.stamped(stored.facts, ["hours"], "feed:old", old, ["hours"])
    with Session(engine) as session, session.begin():
        session.execute(update(Clinic).where(Clinic.id == "good-2").values(facts=facts))
        outbox.enqueue(session, "good-2")
    index_pending(engine, es, clinic_app.config["SETTINGS"].index)
    web = clinic_app.test_client()
    detail = web.get("/api/v1/providers/good-2").get_json()
    assert detail["facts"]["hours"]["stale"] is True and detail["facts"]["prices"]["stale"] is False
    profile = web.get(f"/providers/{detail['slug']}").get_data(as_text=True)
    assert "Possibly out of date:</strong> Opening hours confirmed by the data feed “old” on" in profile
    city = detail["address"]["city"]
    results = web.get(f"/search?location={city}, {detail['address']['state']}").get_data(as_text=True)
    card = results.split('id="provider-good-2"')[1].split("</li>")[0]
    assert "Possibly out of date: opening hours" in card


def test_the_administrators_freshness_report_counts_per_metro(clinic_app, admin, clinic_a, h):
    page = admin.get("/admin/freshness")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "All listings" in html and "Credentials expiring within 30 days" in html
    # every listing was confirmed by its feed when loaded: 100% within 90 days
    total = html.split('class="total"')[1].split("</tr>")[0]
    assert total.count("100%") == 8 and total.count("–") == 2  # no photos anywhere yet
    assert clinic_a.get("/admin/freshness").status_code == 403


def test_credentials_expiring_soon_are_listed_for_administrators(clinic_app, admin):
    engine, es = clinic_app.extensions["store"], clinic_app.extensions["elasticsearch"]
    stored = listings.get(engine, "good-2")
    soon = (datetime.now(UTC).date() + timedelta(days=12)).isoformat()
    cert = {"code": "registered-nurse", "number": "RN-77", "verified": True, "expires": soon}
    record = {**stored.record, "certifications": [cert]}
    listings.save(engine, "good-2", record, version=str(stored.version), actor="tests", source="admin")
    index_pending(engine, es, clinic_app.config["SETTINGS"].index)
    html = admin.get("/admin/freshness").get_data(as_text=True)
    row = html.split("Credentials expiring within 30 days")[1]
    assert "Registered nurse" in row and str(escape(stored.record["name"])) in row
