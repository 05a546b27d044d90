"""The listing form a clinic meets: opening hours as time pickers, a time zone in words, lapsed
credentials named, and the way to its public page."""

import copy
import re

from indexer.sync import index_pending
from registry import listings


def change_stored(app, clinic_id: str, change) -> None:
    """Edit the stored listing as a feed would (the clinic fixtures put it back afterwards)."""
    engine = app.extensions["store"]
    stored = listings.get(engine, clinic_id)
    record = copy.deepcopy(stored.record)
    change(record)
    listings.save(engine, clinic_id, record, version=str(stored.version), actor="tests", source="feed")
    index_pending(engine, app.extensions["elasticsearch"], app.config["SETTINGS"].index)


def save(client, h, changes: dict, untick: tuple = ()):
    html = client.get("/clinic/listing").get_data(as_text=True)
    data = {k: v for k, v in h.fields(html).items() if k not in untick}
    return client.post("/clinic/listing", data={**data, **changes, "action": "save"})


def test_an_expired_credential_tells_the_clinic_it_lapsed(clinic_app, clinic_a):
    """Defect 3: the clinic's editor said "✓ Verified" while the public profile said "Expired"."""

    def expire(record):
        record["certifications"] = [
            {"code": "registered-nurse", "number": "RN-4411", "verified": True, "expires": "2025-01-31"}
        ]

    change_stored(clinic_app, "good-1", expire)
    html = clinic_a.get("/clinic/listing").get_data(as_text=True)
    assert "✓ Verified" not in html
    assert "Expired on January 31, 2025" in html
    notice = html.split('class="notice warning"')[1].split("</div>")[0]
    assert "Registered nurse" in notice and "RN-4411" in notice and "expired on January 31, 2025" in notice
    slug = clinic_app.test_client().get("/api/v1/providers/good-1").get_json()["slug"]
    profile = clinic_app.test_client().get(f"/providers/{slug}").get_data(as_text=True)
    assert '<span class="warn">Expired</span>' in profile  # what consumers see agrees


def test_hours_from_time_pickers_with_breaks_closed_days_and_midnight(clinic_app, clinic_a, h):
    resp = save(
        clinic_a,
        h,
        {
            "hours.timezone": "America/Chicago",
            "hours.mon.0.open": "09:00",
            "hours.mon.0.close": "12:00",
            "hours.mon.1.open": "13:00",
            "hours.mon.1.close": "17:30",
            "hours.fri.0.open": "18:00",
            "hours.fri.0.close": "00:00",  # closes at midnight
            "hours.sun.0.open": "10:00",
            "hours.sun.0.close": "14:00",
            "hours.sat.closed": "1",
            "hours.sat.0.open": "09:00",  # ticked closed wins over times left in the pickers
            "hours.sat.0.close": "13:00",
        },
        untick=("hours.sun.closed", "hours.mon.closed", "hours.fri.closed"),
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    hours = clinic_app.test_client().get("/api/v1/providers/good-1").get_json()["hours"]
    assert hours["timezone"] == "America/Chicago"
    assert hours["mon"] == ["09:00-12:00", "13:00-17:30"]
    assert hours["fri"] == ["18:00-24:00"] and hours["sun"] == ["10:00-14:00"] and hours["sat"] == []
    html = clinic_a.get("/clinic/listing").get_data(as_text=True)
    assert 'name="hours.mon.1.close" value="17:30"' in html
    assert 'name="hours.fri.0.close" value="00:00"' in html
    assert re.search(r'name="hours.sat.closed" value="1" checked', html)
    assert '<option value="America/Chicago" selected>Central Time (Chicago, Houston, Dallas)</option>' in html


def test_a_listing_without_hours_starts_with_its_states_time_zone(clinic_app, clinic_a):
    def no_hours_in_texas(record):
        record.pop("hours", None)
        record["address"]["state"] = "TX"

    change_stored(clinic_app, "good-1", no_hours_in_texas)
    html = clinic_a.get("/clinic/listing").get_data(as_text=True)
    assert '<option value="America/Chicago" selected>' in html
    assert not re.search(r'name="hours\.\w+\.closed" value="1" checked', html), "no day marked closed"


def test_view_my_public_page(clinic_app, clinic_a, admin):
    slug = clinic_app.test_client().get("/api/v1/providers/good-1").get_json()["slug"]
    resp = clinic_a.get("/clinic/public")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/providers/{slug}")
    assert 'href="/clinic/public">View my public page</a>' in clinic_a.get("/clinic/listing").get_data(
        as_text=True
    )
    assert admin.get("/clinic/public?clinic=good-1").headers["Location"].endswith(f"/providers/{slug}")


def test_time_pickers_left_half_filled_or_backwards_are_named_by_day(clinic_a, h):
    resp = save(
        clinic_a,
        h,
        {
            "hours.tue.0.open": "09:00",
            "hours.tue.0.close": "",
            "hours.wed.0.open": "18:00",
            "hours.wed.0.close": "08:30",
            "website": "example dot com",
        },
        untick=("hours.tue.closed", "hours.wed.closed"),
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    summary = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', html.split('class="error-summary"')[1])
    assert summary == [
        ("f-website", "Enter the website as a web address starting with https://, like https://example.com."),
        ("f-hours-tue", "Tuesday&#39;s hours: enter both an opening and a closing time, or tick Closed."),
        ("f-hours-wed", "Wednesday&#39;s hours: the closing time must be later than the opening time."),
    ], "in the order of the page, in words"
    assert 'name="hours.wed.0.close" value="08:30" aria-invalid="true"' in html  # kept, and marked
