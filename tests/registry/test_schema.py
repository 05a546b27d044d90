import json
from pathlib import Path

import orjson
import pytest
from marshmallow import fields

from registry.schema import ClinicRecord, ValidationError, dump_loaded, flatten_errors

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
    assert errors["price_range.max"] == "The highest price must be the same as or more than the lowest price."
    assert "reviews.0.rating" in errors
    assert "Mars/Olympus" in errors["hours.timezone"]
    assert errors["colour"].startswith("This is not part of the record")


def test_a_review_with_an_invalid_id_is_reported_not_a_crash():
    errors = errors_of(
        {**VALID, "reviews": [{"id": "._", "rating": 3, "date": "2026-01-02", "source": "RealSelf"}]}
    )
    assert list(errors) == ["reviews.0.id"] and "must be 1 to 64 letters" in errors["reviews.0.id"]


def test_hours_must_close_after_they_open():
    errors = errors_of({**VALID, "hours": {"timezone": "America/New_York", "tue": ["17:00-09:00"]}})
    assert "closes before it opens" in errors["hours.tue"]


def test_dump_is_json_ready():
    dumped = ClinicRecord().dump(ClinicRecord().load(VALID))
    assert json.loads(json.dumps(dumped))["reviews"][0]["date"] == "2026-01-02"


def feed_records() -> list[dict]:
    """The fixture clinics, some synthetic ones, and the date and time shapes feeds send."""
    from tools.synthetic import generate

    lines = (Path(__file__).parents[2] / "fixtures" / "clinics.ndjson").read_text().splitlines()
    records = [json.loads(line) for line in lines] + list(generate(300, seed=5, reviews=(0, 4)))
    times = ["2026-03-01T10:00:00.123456+02:00", "2026-03-01T10:00:00", "2026-03-01T10:00:00Z", None]
    for i, record in enumerate(records[:40]):
        record["updated_at"] = times[i % 4]
        for cert in record.get("certifications", []):
            cert["verified_at"], cert["expires"] = times[(i + 1) % 4], None if i % 3 else "2031-02-03"
    return records


def test_dump_loaded_writes_exactly_what_dump_writes():
    schema = ClinicRecord()
    for raw in feed_records():
        expected = orjson.dumps(schema.dump(schema.load(raw)))  # bytes: key order and types count
        assert orjson.dumps(dump_loaded(schema.load(raw))) == expected


def test_dates_and_times_are_the_only_fields_load_leaves_unready_for_json():
    """dump_loaded converts these fields; any new non-JSON field must be added there too."""

    def temporal(schema, prefix=""):
        for name, field in schema.fields.items():
            inner = field.inner if isinstance(field, fields.List) else field
            if isinstance(inner, fields.Nested):
                yield from temporal(inner.schema, f"{prefix}{name}.")
            elif isinstance(inner, (fields.DateTime, fields.Date)):
                yield f"{prefix}{name}"
            else:
                assert isinstance(inner, (fields.String, fields.Float, fields.Integer, fields.Boolean)), name

    paths = set(temporal(ClinicRecord()))
    assert paths == {"updated_at", "certifications.verified_at", "certifications.expires", "reviews.date"}


@pytest.mark.parametrize(
    "name, reason",
    [
        ("Glow\x00Studio", "invisible control character"),
        ("Glow \udcff Studio", "broken character"),
        ("   ", "cannot be left blank"),
        ("\t\n", "cannot be left blank"),
        ("x" * 201, "200 characters or fewer"),
    ],
)
def test_text_that_cannot_be_stored_indexed_or_exported_is_refused_by_name(name, reason):
    assert reason in errors_of({**VALID, "name": name})["name"]


def test_text_is_normalised_and_trimmed():
    record = ClinicRecord().load(
        {
            **VALID,
            "name": "  Cafe\u0301\tGlow  ",  # decomposed accent, a tab
            "description": "Line one\r\nLine two\twith a tab",
        }
    )
    assert record["name"] == "Café Glow"
    assert record["description"] == "Line one\nLine two\twith a tab"


def test_nested_text_is_sanitised_too():
    errors = errors_of(
        {**VALID, "reviews": [{"id": "r1", "rating": 5, "date": "2026-01-02", "text": "a\x1bb"}]}
    )
    assert errors["reviews.0.text"].startswith("The review text of review 1 contains an invisible control")


def test_times_that_lie_in_the_future_are_refused_beyond_a_day():
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(hours=12)).isoformat()
    assert errors_of({**VALID, "updated_at": soon}) == {}  # clocks differ by hours
    errors = errors_of(
        {
            **VALID,
            "updated_at": "2099-01-01T00:00:00Z",
            "reviews": [{**VALID["reviews"][0], "date": "2099-01-01"}],
            "certifications": [{**VALID["certifications"][0], "verified_at": "2099-01-01T00:00:00Z"}],
        }
    )
    assert set(errors) == {"updated_at", "reviews.0.date", "certifications.0.verified_at"}
    assert "lies in the future" in errors["updated_at"]


def test_lists_are_capped_per_record():
    from registry.schema import MAX_CREDENTIALS, MAX_SPANS

    certs = [{"code": "licensed-esthetician", "number": str(n)} for n in range(MAX_CREDENTIALS + 1)]
    hours = {"timezone": "UTC", "mon": ["09:00-09:30"] * (MAX_SPANS + 1)}
    errors = errors_of({**VALID, "certifications": certs, "hours": hours})
    assert errors == {
        "certifications": f"Send at most {MAX_CREDENTIALS} of the credentials.",
        "hours.mon": f"Send at most {MAX_SPANS} of Monday's hours.",
    }
