"""directory/search/query.py: the request bodies, checked without a node (the node proves the rest)."""

from datetime import UTC, datetime

import pytest

from directory.search import prices
from directory.search import query as q
from directory.search.query import BBox, SearchQuery
from directory.search.understand import understand

MONDAY_1530_UTC = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
TODAY = "2026-11-23"


def test_defaults_and_fingerprint():
    query = SearchQuery(lat=35.2, lon=-80.8, cursor="abc", limit=5, explain=True, location="Charlotte")
    assert query.radius == q.DEFAULT_RADIUS_KM == pytest.approx(25 * 1.609344)
    assert pytest.approx(100 * 1.609344) == q.MAX_RADIUS_KM
    assert query.origin == {"lat": 35.2, "lon": -80.8}
    # paging and presentation do not change the result list; empty values are left out
    assert query.fingerprint() == {"lat": 35.2, "lon": -80.8, "radius": q.DEFAULT_RADIUS_KM, "sort": "best"}
    assert SearchQuery().origin is None


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({}, []),
        (
            {"lat": 1.0, "lon": 2.0, "radius": 10.0},
            [
                {
                    "geo_distance": {
                        "distance": "10.0km",
                        "distance_type": "arc",
                        "location": {"lat": 1.0, "lon": 2.0},
                    }
                }
            ],
        ),
        (
            {"bbox": BBox(-81, 35, -80.5, 35.4), "lat": 1.0, "lon": 2.0},  # the map area wins over a point
            [
                {
                    "geo_bounding_box": {
                        "location": {
                            "top_left": {"lat": 35.4, "lon": -81},
                            "bottom_right": {"lat": 35, "lon": -80.5},
                        }
                    }
                }
            ],
        ),
        (
            {"treatment": ["microneedling", "prp-microneedling"]},
            [{"term": {"treatments": "microneedling"}}, {"term": {"treatments": "prp-microneedling"}}],
        ),
        ({"certification": ["registered-nurse"]}, [q.valid_credential(TODAY, ["registered-nurse"])]),
        ({"qualified": True}, [{"range": {"qualified_until": {"gte": TODAY}}}]),
        ({"min_rating": 4.5}, [{"range": {"rating.average": {"gte": 4.5}}}]),
        ({"min_reviews": 3}, [{"range": {"rating.count": {"gte": 3}}}]),
        ({"max_price": 300.0}, [{"range": {"price.min": {"lte": 300.0}}}]),
    ],
)
def test_filters(changes, expected):
    assert q.filters(SearchQuery(**changes), MONDAY_1530_UTC, []) == expected


def test_valid_credential_is_verified_and_unexpired_on_the_given_day():
    nested = q.valid_credential(TODAY, ["a", "b"])["nested"]
    assert nested["path"] == "certifications"
    conditions = nested["query"]["bool"]["filter"]
    assert {"term": {"certifications.verified": True}} in conditions
    assert {"terms": {"certifications.code": ["a", "b"]}} in conditions
    expiry = conditions[1]["bool"]["should"]
    assert {"range": {"certifications.expires": {"gte": TODAY}}} in expiry and len(expiry) == 2
    assert "now" not in repr(nested)  # a date, so the shard request cache can answer


@pytest.mark.parametrize(
    "zone, minute",
    [
        ("UTC", 15 * 60 + 30),
        ("America/New_York", 10 * 60 + 30),  # EST in November
        ("America/Los_Angeles", 7 * 60 + 30),
        ("Pacific/Auckland", 1440 + 4 * 60 + 30),  # already Tuesday 04:30 (NZDT)
    ],
)
def test_week_minute_is_local(zone, minute):
    assert q.week_minute(MONDAY_1530_UTC, zone) == minute


def test_open_now_has_one_clause_per_zone():
    clause = q.open_now_filter(MONDAY_1530_UTC, ["UTC", "America/New_York"])["bool"]
    assert clause["minimum_should_match"] == 1
    assert [c["bool"]["filter"] for c in clause["should"]] == [
        [
            {"term": {"timezone": "UTC"}},
            {"range": {"open_minutes": {"gte": 930, "lte": 930, "relation": "intersects"}}},
        ],
        [
            {"term": {"timezone": "America/New_York"}},
            {"range": {"open_minutes": {"gte": 630, "lte": 630, "relation": "intersects"}}},
        ],
    ]


def test_each_word_is_looked_for_in_every_field_with_the_typo_rule():
    clauses = q.word_query("skinsmyth")["dis_max"]["queries"]
    fuzzy = [c["match"] for c in clauses if "match" in c]
    assert {field for m in fuzzy for field in m} == set(q.TYPO_FIELDS)
    for m in fuzzy:
        (match,) = m.values()
        assert match["fuzziness"] == 2 and match["prefix_length"] == q.PREFIX_LENGTH == 0
    assert {"term": {"search.description": {"value": "skinsmyth", "boost": 1.0}}} in clauses
    assert q.FUZZINESS == "AUTO:4,8"  # the same rule, for article search
    short = q.word_query("spa")["dis_max"]["queries"]
    assert not any("match" in c for c in short)  # under 4 letters: exact


def test_every_word_must_match_optional_words_only_score():
    must, should = q.text_clauses(understand("clinic glow bar"))
    assert len(must) == 2 and must[1]["dis_max"]["queries"][-1]["prefix"]  # "bar" may be unfinished
    joined = {"term": {"search.name": {"value": "glowbar", "boost": q.JOINED_NAME_BOOST}}}
    assert joined in must[0]["dis_max"]["queries"]  # "glow bar" is also "Glowbar"
    assert {"term": {"search.name_key": {"value": "clinic glow bar", "boost": q.WHOLE_NAME_BOOST}}} in should


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("best", [{"_score": "desc"}, {"id": "asc"}]),
        ("rating", [{"rating.weighted": "desc"}, {"rating.count": "desc"}, {"id": "asc"}]),
        (
            "distance",
            [
                {
                    "_geo_distance": {
                        "location": {"lat": 1.0, "lon": 2.0},
                        "order": "asc",
                        "unit": "km",
                        "distance_type": "arc",
                    }
                },
                {"id": "asc"},
            ],
        ),
    ],
)
def test_sort_clauses_end_on_the_id(sort, expected):
    assert q.sort_clause(SearchQuery(lat=1.0, lon=2.0, sort=sort)) == expected


def test_best_blends_rating_credentials_and_distance():
    near = SearchQuery(lat=1.0, lon=2.0, radius=20.0, q="glow", reading=understand("glow", place_given=True))
    scored = q.scored(near, {"match_all": {}}, TODAY)["function_score"]
    assert scored["score_mode"] == "multiply" and scored["boost_mode"] == "multiply"
    rating, credential, distance = scored["functions"]
    assert rating["field_value_factor"]["factor"] == q.RATING_FACTOR
    assert credential == {"filter": q.qualified(TODAY), "weight": q.CREDENTIAL_BOOST}
    assert (
        distance["gauss"]["location"]["scale"] == "10.0km" and distance["gauss"]["location"]["decay"] == 0.5
    )
    without_text = q.scored(SearchQuery(), {"match_all": {}}, TODAY)["function_score"]
    assert without_text["boost_mode"] == "replace" and len(without_text["functions"]) == 2


def test_gauss_decay_matches_the_documented_curve():
    query = SearchQuery(lat=1.0, lon=2.0, radius=20.0)
    assert q.gauss_decay(0.5, query) == 1.0  # within the offset
    assert q.gauss_decay(q.DECAY_OFFSET_KM + 10.0, query) == pytest.approx(0.5)  # scale = radius / 2
    assert q.gauss_decay(q.DECAY_OFFSET_KM + 20.0, query) == pytest.approx(0.0625)


def test_search_requests_are_the_page_then_its_cacheable_counts():
    query = SearchQuery(q="prp", limit=7)
    page_header, page, count_header, counts = q.search_requests(
        "alias", query, MONDAY_1530_UTC, [], [3.5, "x"]
    )
    assert page_header == {"index": "alias"} and count_header == {"index": "alias", "request_cache": True}
    assert page["size"] == 7 and page["search_after"] == [3.5, "x"] and page["track_total_hits"] is False
    assert page["_source"] == {"excludes": q.SOURCE_EXCLUDES}
    assert counts["size"] == 0 and counts["track_total_hits"] is True
    assert set(counts["aggs"]) == {"treatment", "certification", "rating", "price"}
    assert counts["query"] == q.matching(query, MONDAY_1530_UTC, [])  # the same clinics, unscored
    lone = q.search_requests("alias", SearchQuery(facets=False), MONDAY_1530_UTC, [], None)
    assert len(lone) == 2 and lone[1]["track_total_hits"] is True and "search_after" not in lone[1]


def test_a_named_treatment_prices_the_filter_and_the_facet_by_its_own_starting_price():
    one = SearchQuery(treatment=["microneedling"], max_price=300.0)
    assert prices.max_price_filters(one) == [{"range": {"treatment_price.microneedling.min": {"lte": 300.0}}}]
    two = SearchQuery(treatment=["microneedling", "botox"], max_price=300.0)
    assert [next(iter(f["range"])) for f in prices.max_price_filters(two)] == [
        "treatment_price.microneedling.min",
        "treatment_price.botox.min",
    ]
    *_, counts = q.search_requests("alias", two, MONDAY_1530_UTC, [], None)
    assert counts["aggs"]["price"]["range"]["field"] == "treatment_price.microneedling.min"


def test_price_and_rating_bands_become_keyed_ranges():
    aggs = q.facet_aggs(TODAY)
    price = prices.price_facet(SearchQuery())["range"]
    assert price["field"] == "price.min"
    assert price["ranges"][0] == {"key": "under-200", "to": 200}
    assert price["ranges"][-1] == {"key": "600-plus", "from": 600}
    assert aggs["rating"]["range"]["ranges"] == [
        {"key": "4.5", "from": 4.5},
        {"key": "4", "from": 4.0},
        {"key": "3", "from": 3.0},
    ]
