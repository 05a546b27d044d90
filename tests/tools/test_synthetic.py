"""Tests for tools/synthetic.py: valid, reproducible, spread-out records; the committed sample."""

import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
import zipcodes
from geopy.distance import geodesic

from registry.schema import ClinicRecord, flatten_errors
from tools.synthetic import REFERENCE, generate, sample_directory

CLINICS = Path(__file__).resolve().parents[2] / "fixtures" / "clinics.ndjson"


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    return list(sample_directory())


@pytest.fixture(scope="module")
def generated() -> list[dict]:
    return list(generate(2000, seed=1))


@cache
def centroid(postal_code: str) -> dict:
    """The ZIP's row looked up through zipcodes' own API, independent of the generator's tables."""
    (row,) = zipcodes.matching(postal_code)
    return row


def invalid(records: list[dict]) -> dict[str, list]:
    schema = ClinicRecord()
    errors = {r.get("id"): flatten_errors(schema.validate(r)) for r in records}
    return {clinic_id: problems for clinic_id, problems in errors.items() if problems}


def test_sample_records_load(sample):
    assert invalid(sample) == {}


def test_generated_records_load(generated):
    assert invalid(generated) == {}


def test_same_seed_same_output_and_different_seed_differs():
    assert list(generate(300, seed=5)) == list(generate(300, seed=5))
    assert list(generate(300, seed=5)) != list(generate(300, seed=6))
    assert list(sample_directory()) == list(sample_directory())
    assert list(sample_directory(seed=8)) != list(sample_directory())


def test_ids_unique(sample, generated):
    for records in (sample, generated):
        assert len({r["id"] for r in records}) == len(records)
        for r in records:
            review_ids = [v["id"] for v in r["reviews"]]
            assert len(set(review_ids)) == len(review_ids)


def test_sample_covers_metros_with_nc_and_fl_weighted(sample):
    metros = {(r["address"]["city"], r["address"]["state"]) for r in sample}
    nc_fl = sum(r["address"]["state"] in {"NC", "FL"} for r in sample)
    assert len(sample) >= 320
    assert len(metros) >= 30
    assert nc_fl / len(sample) >= 0.30


def test_generated_locations_near_their_zip(generated):
    for r in generated:
        row = centroid(r["address"]["postal_code"])
        assert (r["address"]["city"], r["address"]["state"]) == (row["city"], row["state"])
        assert r["hours"]["timezone"] == row["timezone"]
        here = (r["location"]["lat"], r["location"]["lon"])
        assert geodesic(here, (float(row["lat"]), float(row["long"]))).km < 2, r["id"]


def test_sample_locations_near_their_zip(sample):
    for r in sample:
        row = centroid(r["address"]["postal_code"])
        assert r["address"]["state"] == row["state"]
        if "location" in r:
            here = (r["location"]["lat"], r["location"]["lon"])
            assert geodesic(here, (float(row["lat"]), float(row["long"]))).km < 2, r["id"]


def test_review_counts_follow_the_range():
    counts = [len(r["reviews"]) for r in generate(500, seed=3, reviews=(2, 4))]
    assert min(counts) == 2
    assert max(counts) == 4


def test_dates_are_relative_to_the_fixed_reference(generated):
    oldest = REFERENCE - timedelta(days=2 * 365)
    for r in generated:
        updated = datetime.fromisoformat(r["updated_at"])
        assert oldest <= updated <= REFERENCE
        assert all(v["date"] <= r["updated_at"][:10] for v in r["reviews"])


def test_sample_has_the_deliberate_edge_cases(sample):
    today = REFERENCE.date().isoformat()
    certs = [c for r in sample for c in r["certifications"]]
    without_location = [r for r in sample if r.get("location") is None]
    popular = [r["reviews"] for r in sample if len(r["reviews"]) >= 100]
    assert 0.05 <= len(without_location) / len(sample) <= 0.15
    assert all(r["address"]["postal_code"] for r in without_location)
    assert any(not c["verified"] and c["verified_at"] is None for c in certs)
    assert any(c["expires"] < today for c in certs)
    assert any(not r["reviews"] for r in sample)
    assert any([v["rating"] for v in r["reviews"]] == [5] for r in sample)
    assert popular
    assert all(sum(v["rating"] for v in rs) / len(rs) >= 4.6 for rs in popular)
    assert any(not r["hours"]["sat"] and not r["hours"]["sun"] for r in sample)
    assert any(span[-5:] >= "20:00" for r in sample for span in r["hours"]["thu"])
    assert {"Piel Bonita Clínica", "Café-au-lait Skin Studio"} <= {r["name"] for r in sample}


def test_committed_fixture_matches_the_generator(sample):
    lines = CLINICS.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == sample


def test_store_reviews_are_rows_of_the_reviews_table_in_the_shares_it_promises():
    from collections import Counter

    from registry.models import Review
    from tools.synthetic import REVIEW_COLUMNS, review_store

    assert set(REVIEW_COLUMNS) <= set(Review.__table__.c.keys())
    ids = [f"c{i}" for i in range(400)]
    rows = list(review_store(ids, 30_000, seed=5, heavy=2_000))
    assert rows == list(review_store(ids, 30_000, seed=5, heavy=2_000)), "reproducible"
    assert 27_000 < len(rows) < 33_000 and all(len(r) == len(REVIEW_COLUMNS) for r in rows)
    per_clinic = Counter(r[0] for r in rows)
    assert per_clinic["c0"] == 2_000 and max(per_clinic[c] for c in ids[1:]) < 2_000
    assert len({(r[0], r[2]) for r in rows}) == len(rows), "review ids are unique per listing"
    kinds = Counter(r[7] for r in rows)
    assert (
        abs(kinds["feed"] / len(rows) - 0.80) < 0.02
        and abs(kinds["verified-visit"] / len(rows) - 0.15) < 0.02
    )
    consumer = [r for r in rows if r[7] != "feed"]
    assert {r[8] for r in consumer} == {"published", "held", "removed"} and {
        r[8] for r in rows if r[7] == "feed"
    } == {"published"}
    assert all(r[12] is not None and r[11] == r[4].strftime("%Y-%m") for r in consumer)
    assert {r[3] for r in rows} == {1, 2, 3, 4, 5}
