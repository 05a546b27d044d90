"""The offline gazetteer, the cache around any geocoder, and address fallbacks."""

import logging

import pytest
from geopy.distance import geodesic
from geopy.exc import GeocoderTimedOut
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from registry.geocode import (
    CachedGeocoder,
    OfflineGeocoder,
    address_query,
    geocode_address,
    make_geocoder,
)

# Reference points from public maps, independent of the zipcodes data.
CHARLOTTE_UPTOWN = (35.2271, -80.8431)
MIAMI_DOWNTOWN = (25.7617, -80.1918)
ST_PETERSBURG_DOWNTOWN = (27.7676, -82.6403)


@pytest.fixture(scope="module")
def offline() -> OfflineGeocoder:
    return OfflineGeocoder()


def km(location: Location, point: tuple[float, float]) -> float:
    return geodesic((location.latitude, location.longitude), point).km


class CountingGeocoder:
    """Answers from a dict and records every query it is asked."""

    def __init__(self, answers: dict[str, Location | None] | None = None):
        self.answers = answers or {}
        self.calls: list[str] = []

    def geocode(self, query: str) -> Location | None:
        self.calls.append(query)
        return self.answers.get(query)


class FailingGeocoder(CountingGeocoder):
    def geocode(self, query: str) -> Location | None:
        self.calls.append(query)
        raise GeocoderTimedOut("service did not answer")


def test_zip_resolves_to_its_centroid(offline):
    location = offline.geocode("28202")
    assert location.address == "Charlotte, NC 28202"
    assert km(location, CHARLOTTE_UPTOWN) < 3
    assert location.raw["kind"] == "zip"
    assert location.raw["postal_code"] == "28202"
    assert location.raw["timezone"] == "America/New_York"


@pytest.mark.parametrize("query", ["28202-1234", " 28202 ", "282021234"])
def test_zip_plus_four_uses_the_five_digit_zip(offline, query):
    assert offline.geocode(query) == offline.geocode("28202")


@pytest.mark.parametrize(
    "query",
    [
        "Charlotte, NC",
        "Charlotte NC",
        "charlotte, north carolina",
        "  CHARLOTTE ,   nc ",
        "Charlotte, NC, USA",
        "Charlotte",
    ],
)
def test_city_forms_resolve_to_the_city(offline, query):
    location = offline.geocode(query)
    assert location.address == "Charlotte, NC"
    assert location.raw == {
        "kind": "city",
        "city": "Charlotte",
        "state": "NC",
        "postal_code": None,
        "timezone": "America/New_York",
        "zip_count": location.raw["zip_count"],
    }
    assert km(location, CHARLOTTE_UPTOWN) < 10


def test_city_coordinates_are_near_the_real_city(offline):
    assert km(offline.geocode("Miami, FL"), MIAMI_DOWNTOWN) < 15


@pytest.mark.parametrize(
    "query", ["St. Petersburg, FL", "Saint Petersburg, FL", "st petersburg fl", "ST.PETERSBURG, FL"]
)
def test_saint_and_st_are_the_same_place(offline, query):
    location = offline.geocode(query)
    assert location.raw["city"] == "Saint Petersburg" and location.raw["state"] == "FL"
    assert km(location, ST_PETERSBURG_DOWNTOWN) < 15


def test_fort_and_ft_are_the_same_place(offline):
    assert offline.geocode("Ft. Lauderdale FL") == offline.geocode("Fort Lauderdale, FL")


def test_full_address_uses_its_zip(offline):
    location = offline.geocode("123 Main St, Charlotte, NC 28202")
    assert location == offline.geocode("28202")


def test_full_address_with_unknown_zip_falls_back_to_city_and_state(offline):
    expected = offline.geocode("Charlotte, NC")
    assert offline.geocode("123 Main St, Charlotte, NC 99999") == expected
    assert offline.geocode("123 Main St, Charlotte, NC") == expected
    assert offline.geocode("123 Main St Charlotte NC") == expected


def test_longest_city_name_wins_inside_an_address(offline):
    location = offline.geocode("1 Flagler Dr West Palm Beach FL")
    assert location.raw["city"] == "West Palm Beach"


@pytest.mark.parametrize(
    ("query", "states"), [("Charlotte", {"NC"}), ("Miami", {"FL"}), ("Portland", {"OR", "ME"})]
)
def test_bare_city_name_picks_the_biggest_city(offline, query, states):
    first = offline.geocode(query)
    assert first.raw["state"] in states
    assert offline.geocode(query) == first


def test_many_results_are_ordered_biggest_first(offline):
    locations = offline.geocode("Portland", exactly_one=False)
    assert len(locations) > 2
    assert locations[0] == offline.geocode("Portland")
    counts = [location.raw["zip_count"] for location in locations]
    assert counts[:2] == sorted(counts[:2], reverse=True)


def test_city_named_like_its_state(offline):
    assert offline.geocode("New York").address == "New York, NY"
    assert offline.geocode("Washington").address == "Washington, DC"


@pytest.mark.parametrize(
    "query",
    [
        "Xyzzyville, NC",
        "Charlotte, ZZ",
        "99999",
        "",
        "   ",
        "Nowhereburg",
        "Toronto, ON, CA",
        "1 Main St, Toronto, Ontario",
    ],
)
def test_unknown_places_are_none(offline, query):
    assert offline.geocode(query) is None


def test_cache_asks_the_wrapped_geocoder_once_per_query():
    charlotte = Location("Charlotte, NC", (35.2, -80.8), {})
    wrapped = CountingGeocoder({"Charlotte, NC": charlotte})
    cached = CachedGeocoder(wrapped)
    assert cached.geocode("Charlotte, NC") == charlotte
    assert cached.geocode("  charlotte ,NC ") == charlotte
    assert cached.geocode("Nowhere") is None
    assert cached.geocode("nowhere") is None
    assert wrapped.calls == ["Charlotte, NC", "Nowhere"]


def test_cache_treats_service_errors_as_not_found_and_asks_again_later(caplog):
    wrapped = FailingGeocoder()
    cached = CachedGeocoder(wrapped)
    with caplog.at_level(logging.WARNING, logger="registry.geocode"):
        assert cached.geocode("Charlotte, NC") is None
    assert "did not answer" in caplog.text
    assert cached.geocode("Charlotte, NC") is None
    assert len(wrapped.calls) == 2


def test_cache_file_round_trip(tmp_path, offline):
    path = tmp_path / "cache" / "geocode.json"
    first = CachedGeocoder(offline, path)
    found = first.geocode("Charlotte, NC 28202")
    assert first.geocode("Xyzzyville, NC") is None
    first.save()

    wrapped = CountingGeocoder()
    second = CachedGeocoder(wrapped, path)
    assert second.geocode("charlotte, nc 28202") == found
    assert second.geocode("Xyzzyville, NC") is None
    assert wrapped.calls == []


def test_unreadable_cache_file_starts_empty(tmp_path, caplog):
    path = tmp_path / "geocode.json"
    path.write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="registry.geocode"):
        cached = CachedGeocoder(CountingGeocoder(), path)
    assert len(cached) == 0
    assert "unreadable" in caplog.text


def test_address_query():
    full = {
        "street": "1 Main St",
        "city": "Charlotte",
        "state": "NC",
        "postal_code": "28202",
        "country": "US",
    }
    assert address_query(full) == "1 Main St, Charlotte, NC 28202"
    assert address_query({"street": None, "city": "Miami", "state": "FL"}) == "Miami, FL"
    assert address_query({"city": "Toronto", "state": "ON", "country": "CA"}) == "Toronto, ON, CA"
    assert address_query({}) == ""


def test_geocode_address_tries_full_line_then_zip_then_city():
    charlotte = Location("Charlotte, NC", (35.2, -80.8), {})
    wrapped = CountingGeocoder({"Charlotte, NC": charlotte})
    address = {"street": "1 Main St", "city": "Charlotte", "state": "NC", "postal_code": "00000"}
    assert geocode_address(wrapped, address) == (35.2, -80.8)
    assert wrapped.calls == ["1 Main St, Charlotte, NC 00000", "00000", "Charlotte, NC"]


def test_geocode_address_bad_street_and_city_but_good_zip(offline):
    address = {
        "street": "Nowhere Lane",
        "city": "Xyzzyville",
        "state": "NC",
        "postal_code": "28202",
    }
    point = geocode_address(offline, address)
    assert geodesic(point, CHARLOTTE_UPTOWN).km < 3


def test_geocode_address_without_zip_uses_city_and_state(offline):
    address = {"street": "1 Main St", "city": "Miami", "state": "FL", "postal_code": None}
    assert geodesic(geocode_address(offline, address), MIAMI_DOWNTOWN).km < 15


def test_geocode_address_with_nothing_valid_is_none(offline):
    address = {"street": "1 Main St", "city": "Xyzzyville", "state": "ZZ", "postal_code": "99999"}
    assert geocode_address(offline, address) is None
    assert geocode_address(offline, {"street": None, "city": None, "state": None}) is None


def test_make_geocoder():
    assert isinstance(make_geocoder(), OfflineGeocoder)
    assert isinstance(make_geocoder("offline"), Geocoder)
    # Building an online geocoder does not touch the network; only its lookups would.
    assert isinstance(make_geocoder("nominatim", user_agent="provider-directory-tests"), Nominatim)
