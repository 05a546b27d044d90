from indexer.schema import ClinicRecord, ValidationError, flatten_errors

VALID = {
    "id": "abc-1",
    "name": "Glow Skin Studio",
    "address": {"street": "1 Main St", "city": "Charlotte", "state": "NC", "postal_code": "28202"},
    "hours": {"timezone": "America/New_York", "mon": ["09:00-12:00", "13:00-17:00"]},
    "treatments": ["microneedling", "prp-microneedling"],
    "price_range": {"min": 200, "max": 450},
    "certifications": [{"code": "licensed-esthetician", "verified": True, "expires": "2030-01-01"}],
    "reviews": [{"id": "r1", "rating": 5, "date": "2026-01-02", "text": "Great"}],
}


def errors_of(record: dict) -> dict[str, str]:
    try:
        ClinicRecord().load(record)
    except ValidationError as err:
        return dict(flatten_errors(err.messages))
    return {}


def test_valid_record_loads_with_defaults():
    record = ClinicRecord().load(VALID)
    assert record["address"]["country"] == "US"
    assert record["price_range"]["currency"] == "USD"
    assert record["hours"]["sun"] == []


def test_every_problem_is_named_by_its_field_path():
    bad = {
        **VALID,
        "treatments": ["microneedling", "laser-tattoo"],
        "price_range": {"min": 500, "max": 100},
        "reviews": [{"id": "r1", "rating": 7, "date": "2026-01-02"}],
        "hours": {"timezone": "Mars/Olympus"},
        "colour": "blue",
    }
    errors = errors_of(bad)
    assert "laser-tattoo" in errors["treatments"]
    assert errors["price_range.max"] == "max is below min."
    assert "reviews.0.rating" in errors
    assert "Mars/Olympus" in errors["hours.timezone"]
    assert errors["colour"] == "Unknown field."


def test_hours_must_close_after_they_open():
    errors = errors_of({**VALID, "hours": {"timezone": "America/New_York", "tue": ["17:00-09:00"]}})
    assert "closes before it opens" in errors["hours.tue"]


def test_dump_is_json_ready():
    import json

    dumped = ClinicRecord().dump(ClinicRecord().load(VALID))
    assert json.loads(json.dumps(dumped))["reviews"][0]["date"] == "2026-01-02"
