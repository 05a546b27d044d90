"""Prices per treatment: validated by the one schema, turned into per-session prices by derive."""

import pytest

from registry.derive import overall_price, session_prices
from registry.schema import MAX_PRICES, ClinicRecord, ValidationError, flatten_errors

BASE = {
    "id": "p-1",
    "name": "Glow Skin Studio",
    "address": {"city": "Charlotte", "state": "NC"},
    "treatments": ["microneedling", "prp-microneedling", "chemical-peel"],
    "price_range": {"min": 150, "max": 400},
}


def errors_of(**changes) -> dict[str, str]:
    try:
        ClinicRecord().load({**BASE, **changes})
    except ValidationError as err:
        return dict(flatten_errors(err.messages))
    return {}


def load(**changes) -> dict:
    return ClinicRecord().load({**BASE, **changes})


def test_a_session_price_and_a_package_load_with_defaults():
    record = load(
        prices=[
            {"treatment": "microneedling", "min": 250, "max": 350},
            {"treatment": "microneedling", "min": 750, "max": 750, "unit": "package", "sessions": 3},
        ]
    )
    first, package = record["prices"]
    assert first == {
        "treatment": "microneedling",
        "min": 250,
        "max": 350,
        "currency": "USD",
        "unit": "session",
        "sessions": None,
        "note": None,
    }
    assert package["sessions"] == 3


@pytest.mark.parametrize(
    "price, path, words",
    [
        ({"treatment": "botox", "min": 300, "max": 400}, "prices.0.treatment", "Tick Botulinum toxin"),
        ({"treatment": "microneedling", "min": 400, "max": 300}, "prices.0.max", "highest price"),
        (
            {"treatment": "microneedling", "min": 900, "max": 900, "unit": "package"},
            "prices.0.sessions",
            "how many",
        ),
        ({"treatment": "microneedling", "min": 9, "max": 9, "sessions": 3}, "prices.0.sessions", "package"),
        (
            {"treatment": "microneedling", "min": 9, "max": 9, "unit": "course"},
            "prices.0.unit",
            "per session or",
        ),
        ({"treatment": "microneedling", "min": -1, "max": 9}, "prices.0.min", "between 0 and 100,000"),
        (
            {"treatment": "microneedling", "min": 1, "max": 9, "note": "x" * 201},
            "prices.0.note",
            "200 characters",
        ),
        (
            {"treatment": "microneedling", "min": 1, "max": 9, "currency": "usd"},
            "prices.0.currency",
            "three-letter",
        ),
    ],
)
def test_each_problem_of_a_price_is_named_in_plain_words(price, path, words):
    errors = errors_of(prices=[price])
    assert words in errors[path], errors
    assert "prices." not in errors[path] and "Not a valid" not in errors[path]


def test_one_price_of_each_kind_per_treatment_and_one_currency():
    twice = [{"treatment": "microneedling", "min": 1, "max": 2}] * 2
    assert "already has a price" in errors_of(prices=twice)["prices.1.treatment"]
    euros = [{"treatment": "microneedling", "min": 1, "max": 2, "currency": "EUR"}]
    assert errors_of(prices=euros)["prices"] == "Give every price in the same currency."


def test_the_number_of_prices_is_capped():
    many = [{"treatment": "microneedling", "min": 1, "max": 2, "unit": "package", "sessions": 2}] * (
        MAX_PRICES + 1
    )
    assert errors_of(prices=many)["prices"] == f"Send at most {MAX_PRICES} of the prices."


def test_per_session_prices_prefer_own_session_price_then_package_then_the_general_range():
    record = load(
        prices=[
            {"treatment": "microneedling", "min": 900, "max": 900, "unit": "package", "sessions": 3},
            {"treatment": "microneedling", "min": 250, "max": 350},
            {"treatment": "prp-microneedling", "min": 1500, "max": 1800, "unit": "package", "sessions": 3},
        ]
    )
    prices = session_prices(record)
    assert prices["microneedling"] | {} == {
        "min": 250,
        "max": 350,
        "typical": 300,
        "currency": "USD",
        "basis": "session",
        "sessions": 1,
    }
    assert (prices["prp-microneedling"]["min"], prices["prp-microneedling"]["typical"]) == (500, 550)
    assert prices["prp-microneedling"]["basis"] == "package"
    assert prices["chemical-peel"]["basis"] == "general" and prices["chemical-peel"]["typical"] == 275
    assert overall_price(prices, record["price_range"]) == {"min": 150, "max": 600, "currency": "USD"}


def test_without_any_price_a_treatment_has_none():
    record = load(price_range=None)
    assert session_prices(record) == {}
    assert overall_price({}, None) is None
