"""Query understanding, table-driven: what people type -> what the search understood."""

import pytest

from directory.search.understand import (
    headline,
    relaxations,
    typos_allowed,
    understand,
    vocabulary_table,
)
from registry import vocabulary

NURSES = ("nurse-practitioner", "registered-nurse", "certified-aesthetic-nurse")
ESTHETICIANS = ("licensed-esthetician", "master-esthetician")


@pytest.mark.parametrize(
    "text, treatments",
    [
        # stems, plurals, split and joined spellings
        ("microneedle", [("microneedling",)]),
        ("micro needling", [("microneedling",)]),
        ("Micro-Needling", [("microneedling",)]),
        ("peeling", [("chemical-peel",)]),
        ("chemical peels", [("chemical-peel",)]),
        ("dermaplane", [("dermaplaning",)]),
        ("hydra facial", [("hydrafacial",)]),
        ("stretchmarks", [("stretch-mark-treatment",)]),
        ("laser resurface", [("laser-resurfacing",)]),
        # colloquial and brand names
        ("vampire facial", [("prp-microneedling",)]),
        ("neurotoxin", [("botox",)]),
        ("dysport", [("botox",)]),
        ("juvederm", [("dermal-fillers",)]),
        ("morpheus 8", [("rf-microneedling",)]),
        ("morpheus8", [("rf-microneedling",)]),
        ("hair loss", [("hair-restoration-prp",)]),
        ("skin needling", [("microneedling",)]),
        ("collagen induction therapy", [("microneedling",)]),
        # one word naming several treatments means any of them
        ("prp", [("prp-microneedling", "hair-restoration-prp")]),
        ("melasma", [("chemical-peel", "laser-resurfacing")]),
        # what a treatment is for, as people put it
        ("skin tightening", [("rf-microneedling",)]),
        ("peach fuzz", [("dermaplaning",)]),
        # several concepts: each must be offered
        ("botox and fillers", [("botox",), ("dermal-fillers",)]),
        ("botox and dysport", [("botox",)]),
        # the longest phrase wins
        ("microneedling with prp", [("prp-microneedling",)]),
        ("rf microneedling", [("rf-microneedling",)]),
        # typos, the first letter too, and split misspellings
        ("nicroneedling", [("microneedling",)]),
        ("votox", [("botox",)]),
        ("micro neddling", [("microneedling",)]),
        ("chemical peals", [("chemical-peel",)]),
        # words that only loosely point at a treatment stay text
        ("lasers", []),
        ("facial", []),
        ("dermatology", []),
    ],
)
def test_treatments_named_in_the_text(text, treatments):
    assert understand(text).treatments == treatments


@pytest.mark.parametrize(
    "text, credentials",
    [
        ("dermatologist", ["board-certified-dermatologist"]),
        ("dermatologists", ["board-certified-dermatologist"]),
        ("plastic surgeon", ["board-certified-plastic-surgeon"]),
        ("nurse injector", list(NURSES)),
        ("esthetician", list(ESTHETICIANS)),
        ("aesthetician", list(ESTHETICIANS)),
        ("physician assistant", ["physician-assistant"]),
        ("PA-C", ["physician-assistant"]),
        ("NP", ["nurse-practitioner"]),
        ("dermatologst", ["board-certified-dermatologist"]),
        ("dermatology", []),
        ("plastic surgery", []),
    ],
)
def test_credentials_named_in_the_text(text, credentials):
    assert understand(text).credentials == credentials


@pytest.mark.parametrize(
    "text, label, kind, cued",
    [
        ("microneedling near tampa", "Tampa, FL", "city", True),
        ("botox 33602", "Tampa, FL 33602", "zip", True),
        ("botox near 28202-1234", "Charlotte, NC 28202", "zip", True),
        ("botox charlotte nc 28202", "Charlotte, NC 28202", "zip", True),
        ("prp in charlotte nc", "Charlotte, NC", "city", True),
        ("tampa botox", "Tampa, FL", "city", False),
        ("hydrafacial miami", "Miami, FL", "city", False),
        ("St Pete", "St. Petersburg, FL", "city", False),
        ("dermaplaning in st. petersburg", "St. Petersburg, FL", "city", True),
        ("ft lauderdale", "Fort Lauderdale, FL", "city", False),
        ("Manhattan", "Manhattan, NY", "city", False),
        ("Queens, NY", "Queens, NY", "city", True),
        ("botox upper east side", "Upper East Side, NY", "city", False),
        ("south beach", "South Beach, FL", "city", False),
        ("microneedling in buckhead", "Buckhead, GA", "city", True),
        ("botox bay area", "Bay Area, CA", "city", False),
        ("the bronx", "The Bronx, NY", "city", False),
        ("DC", "Washington, DC", "city", False),
        ("Washington, D.C.", "Washington, DC", "city", True),
        ("LA", "Los Angeles, CA", "city", False),
        ("philly", "Philadelphia, PA", "city", False),
        ("vegas", "Las Vegas, NV", "city", False),
        ("NC", "North Carolina", "state", False),
        ("north carolina", "North Carolina", "state", False),
        ("portland", "Portland, OR", "city", False),
        ("botox in portland me", "Portland, ME", "city", True),
        ("botox baltimore md", "Baltimore, MD", "city", True),
        # misspelt places where a place is expected
        ("botox near charlote", "Charlotte, NC", "city", True),
        ("charlote nc botox", "Charlotte, NC", "city", True),
        ("microneedling tmapa", "Tampa, FL", "city", False),
    ],
)
def test_the_place_in_the_text(text, label, kind, cued):
    place = understand(text).place
    assert place is not None, text
    assert (place.area.label, place.area.kind, place.cued) == (label, kind, cued)


@pytest.mark.parametrize(
    "text",
    [
        "botox near me",  # "me" is not Maine
        "vampire facial near me",
        "crème de la peau med spa",  # "la" in a name is not Los Angeles
        "lotus med spa by courtney walker",  # a small town's name at the end is a person's
        "halo laser & skin center",
        "summit skin clinic",
        "glow med spa",
    ],
)
def test_no_place_where_there_is_none(text):
    assert understand(text).place is None


def test_an_ambiguous_name_takes_the_most_populous_place_and_offers_the_others():
    place = understand("microneedling portland").place
    assert place.area.label == "Portland, OR"
    assert "Portland, ME" in [a.label for a in place.alternatives]
    assert "Manhattan, KS" in [a.label for a in understand("manhattan").place.alternatives]


def test_words_left_over_are_required_or_optional_or_ignored():
    reading = understand("best microneedling clinic near me glow bar")
    assert reading.treatments == [("microneedling",)]
    assert reading.words == ("glow", "bar")
    assert reading.optional == ("clinic",)
    assert set(reading.ignored) == {"best", "near", "me"}


def test_accents_and_case_fold():
    assert understand("Søndergaard CAFÉ").words == ("sondergaard", "cafe")
    assert understand("Zoë's").words == ("zoes",)


def test_qualified_words_ask_for_any_valid_credential():
    assert understand("certified microneedling").qualified
    assert not understand("licensed esthetician").qualified  # a credential, not "any"


def test_the_last_word_is_a_prefix_while_typing():
    assert understand("lumie").prefix
    assert not understand("lumie ").prefix
    assert not understand("botox").prefix  # nothing left to complete


def test_literal_reading_keeps_every_word():
    reading = understand("botox near tampa", literal=True)
    assert reading.words == ("botox", "near", "tampa")
    assert not (reading.mentions or reading.place)


def test_a_place_in_the_text_is_ignored_when_the_place_comes_from_elsewhere():
    reading = understand("botox tampa", place_given=True)
    assert reading.place is None and reading.words == () and "tampa" in reading.ignored


def test_relaxations_drop_words_from_the_end_and_try_a_bare_place_as_text():
    steps = relaxations(understand("jackson dermatology"))
    assert steps[0].place is None and steps[0].words == ("jackson", "dermatology")
    assert steps[1].place.area.label == "Jackson, MS" and steps[1].dropped == ("dermatology",)
    assert [s.words for s in relaxations(understand("botox glow bar"))] == [("glow",), ()]
    assert relaxations(understand("asdfgh")) == []  # nothing would be left to search


@pytest.mark.parametrize(
    "text, expected",
    [
        ("botox near tampa", "Botox providers near Tampa, FL"),
        ("dermatologist nc", "Providers with a board-certified dermatologist in North Carolina"),
        ("nurse injector", "Providers with a nurse injector"),
        ("glow bar", None),
    ],
)
def test_headline_says_what_the_results_are(text, expected):
    assert headline(understand(text)) == expected


@pytest.mark.parametrize("word, typos", [("tox", 0), ("votx", 1), ("botoxx", 1), ("microneedl", 2)])
def test_typos_allowed_by_word_length(word, typos):
    assert typos_allowed(word) == typos


def test_every_vocabulary_entry_is_reachable_by_its_code_and_name():
    for entry in (*vocabulary.treatment_entries(), *vocabulary.certification_entries()):
        for text in (entry["code"].replace("-", " "), entry["name"].split(" (")[0]):
            reading = understand(text)
            assert any(entry["code"] in m.codes for m in reading.mentions), text


def test_no_phrase_names_a_treatment_and_a_credential():
    assert vocabulary_table().exact  # building it raises on such a phrase
