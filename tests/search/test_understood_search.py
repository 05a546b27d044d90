"""What people type, through the search core against the real node: filters stay exact."""

import pytest

from directory.search import SearchQuery, search, understand_query
from directory.search.args import SearchArgs

NURSES = ("nurse-practitioner", "registered-nurse", "certified-aesthetic-nurse")


@pytest.fixture
def run(es, directory_settings, geocoder):
    def run(**params):
        query = understand_query(SearchArgs().load({"limit": 100, **params}), geocoder)
        return search(es, directory_settings.index, query)

    return run


def ids(results) -> set[str]:
    return {item["id"] for item in results.items}


@pytest.mark.parametrize(
    "text, params",
    [
        ("vampire facial", {"treatment": ["prp-microneedling"]}),
        ("micro-needling", {"treatment": ["microneedling"]}),
        ("botox and juvederm", {"treatment": ["botox", "dermal-fillers"]}),
        ("dermatologist", {"certification": ["board-certified-dermatologist"]}),
        ("nurse injector", {"certification": list(NURSES)}),
        ("microneedling near 28202", {"treatment": ["microneedling"], "location": "28202"}),
        ("dysport tampa fl", {"treatment": ["botox"], "location": "Tampa, FL"}),
    ],
)
def test_a_treatment_or_credential_named_in_the_text_filters_exactly_like_the_parameter(run, text, params):
    named, given = run(q=text), run(**params)
    assert named.total == given.total > 0
    assert ids(named) == ids(given)


def test_a_place_in_the_text_is_the_same_search_as_the_place_box(run):
    typed = run(q="botox near st pete")
    boxed = run(treatment=["botox"], location="Saint Petersburg, FL")
    assert [i["id"] for i in typed.items] == [i["id"] for i in boxed.items]
    assert typed.interpreted["place"]["label"] == "St. Petersburg, FL"
    assert typed.interpreted["place"]["source"] == "q"


def test_a_whole_state_is_searched_by_its_address(run):
    results = run(q="botox north carolina")
    assert results.total > 0
    assert {i["address"]["state"] for i in results.items} == {"NC"}
    assert results.interpreted["headline"] == "Botox providers in North Carolina"


def test_words_that_match_nothing_are_dropped_and_said_so(run):
    results = run(q="botox zzyzxq")
    assert results.total == run(treatment=["botox"]).total
    assert results.interpreted["dropped"] == ["zzyzxq"]


def test_nothing_is_made_up_for_words_that_match_nothing(run):
    results = run(q="zzyzxq")
    assert results.total == 0 and results.items == []


def test_literal_matches_the_text_as_typed(run):
    results = run(q="charlotte skin clinic", literal=True)
    assert results.interpreted["place"] is None and results.interpreted["literal"]
    assert results.items[0]["name"] == "Charlotte Skin Clinic"


def test_a_clinic_offering_the_treatment_outranks_one_with_the_word_in_its_name(run):
    results = run(q="lasers")
    first = results.items[:10]
    assert all(any(t["code"] == "laser-resurfacing" for t in item["treatments"]) for item in first)


def test_accents_fold_both_ways(run):
    assert run(q="sondergaard").items[0]["name"] == "Søndergaard Skin Atelier"
    assert run(q="Zoë’s glow").items[0]["name"] == "Zoë's Glow Bar"


def test_an_ambiguous_place_offers_the_others(run):
    results = run(q="microneedling portland")
    assert results.interpreted["place"]["label"] == "Portland, OR"
    assert "Portland, ME" in [a["label"] for a in results.interpreted["alternatives"]]


def test_paging_a_relaxed_search_continues_it(es, directory_settings, geocoder):
    query = understand_query(SearchArgs().load({"q": "microneedling zzyzxq", "limit": 50}), geocoder)
    first = search(es, directory_settings.index, query)
    query = understand_query(
        SearchArgs().load({"q": "microneedling zzyzxq", "limit": 50, "cursor": first.next_cursor}), geocoder
    )
    second = search(es, directory_settings.index, query)
    assert second.items and not ids(first) & ids(second)
    assert second.interpreted["dropped"] == ["zzyzxq"]


def test_a_query_built_without_understanding_still_searches(es, directory_settings):
    assert search(es, directory_settings.index, SearchQuery(limit=5, facets=False)).items


def test_sort_by_distance_from_a_place_named_in_the_text(run):
    distances = [i["distance_km"] for i in run(q="botox near tampa", sort="distance").items]
    assert distances and distances == sorted(distances)
    assert run(q="botox", sort="distance").total == run(treatment=["botox"]).total  # no place: best match
