"""The change history in words (directory/clinic/history.py)."""

from datetime import UTC, datetime
from types import SimpleNamespace

from directory.clinic.history import describe, details


def entry(action: str, changes: dict, source: str = "clinic") -> SimpleNamespace:
    at = datetime(2026, 12, 1, 21, 12, tzinfo=UTC)
    return SimpleNamespace(at=at, actor="owner@clinic.test", source=source, action=action, changes=changes)


def test_hours_prices_treatments_and_credentials_read_as_sentences():
    old_hours = {"timezone": "America/New_York", "sun": [], "mon": ["09:00-17:00"]}
    new_hours = {"timezone": "America/Chicago", "sun": ["10:00-14:00"], "mon": ["09:00-12:00", "13:00-17:30"]}
    lines = details(
        "edit",
        {
            "hours": [old_hours, new_hours],
            "price_range": [{"min": 150, "max": 250}, {"min": 129, "max": 199, "currency": "USD"}],
            "treatments": [["microneedling", "chemical-peel"], ["microneedling", "rf-microneedling"]],
            "certifications": [
                [{"code": "registered-nurse", "number": "RN-1", "verified": True}],
                [{"code": "board-certified-dermatologist", "number": "ABD-77", "verified": False}],
            ],
            "name": ["Old Name", "New Name"],
            "phone": [None, "+1 704-555-0100"],
            "location": [{"lat": 1, "lon": 2}, {"lat": 1.1, "lon": 2}],
            "updated_at": ["2026-01-01", "2026-12-01"],
        },
    )
    assert lines == [
        "Time zone: Eastern Time → Central Time",
        "Monday hours: 9 AM – 5 PM → 9 AM – 12 PM, 1 PM – 5:30 PM",
        "Sunday hours: closed → 10 AM – 2 PM",
        "Price per session: $150–$250 → $129–$199",
        "Treatments: added Radiofrequency microneedling; removed Chemical peel",
        "Credential added: Board-certified dermatologist (ABD-77) (waiting for our check)",
        "Credential removed: Registered nurse (RN-1)",
        "Name: Old Name → New Name",
        "Phone: none → +1 704-555-0100",
        "Map pin moved",
    ]
    assert not any("{" in line or "[" in line for line in lines), "no raw JSON"


def test_an_entry_has_a_local_time_a_person_and_a_plain_action():
    change = describe(
        entry(
            "credential-rejected",
            {"certification": ["physician-assistant", "rejected"], "reason": [None, "Number not found"]},
            "admin",
        ),
        "America/New_York",
    )
    assert change.when == "December 1, 2026 at 4:12 PM EST"
    assert change.who == "owner@clinic.test"
    assert change.what == "Credential rejected by our team"
    assert change.details == ["Certified physician assistant: Number not found"]
    feed = describe(entry("update", {"description": ["a", "b"]}, "feed"), None)
    assert feed.who == "data feed" and feed.details == ["Description changed"]
