"""Search results checked against an independent computation over the whole fixture set.

Elasticsearch filters by arc distance on a sphere; geopy's geodesic uses the WGS84
ellipsoid. They differ by under 0.5% in the US, so clinics within that band of the radius
edge may fall either way; everything else must match exactly.
"""

import random
import re
from datetime import date
from pathlib import Path

import pytest
from geopy.distance import geodesic

from directory.search import SearchQuery, search, understand_query
from directory.search.query import BBox
from registry.derive import is_valid_certification

FIXTURES = Path(__file__).parents[2] / "fixtures" / "clinics.ndjson"
BAND = 0.005


@pytest.fixture(scope="module")
def records(directory_settings, es):
    """The fixture records as indexed (with geocoded locations), read back from the store."""
    from sqlalchemy.orm import Session

    from registry import db, listings

    engine = db.open_store(directory_settings.database_url)
    with Session(engine) as session:
        return list(listings.iter_records(session))


def all_pages(es, alias, query: SearchQuery) -> list[dict]:
    items, seen_cursors = [], set()
    while True:
        results = search(es, alias, query)
        items += results.items
        if not results.next_cursor:
            return items
        assert results.next_cursor not in seen_cursors
        seen_cursors.add(results.next_cursor)
        query.cursor = results.next_cursor


def expected_ids(records, centre, radius_km, predicate):
    inside, edge = set(), set()
    for r in records:
        if not predicate(r):
            continue
        d = geodesic(centre, (r["location"]["lat"], r["location"]["lon"])).km
        if d <= radius_km * (1 - BAND):
            inside.add(r["id"])
        elif d <= radius_km * (1 + BAND):
            edge.add(r["id"])
    return inside, edge


def mean(r):
    ratings = [x["rating"] for x in r["reviews"]]
    return sum(ratings) / len(ratings) if ratings else None


def starting_price(r, code=None):
    """The lowest price per session of treatment `code` (or of any treatment), as the record states
    it: the treatment's own session price, else its package price per session, else price_range."""
    general = r.get("price_range")
    lows = {}
    for price in sorted(r.get("prices", []), key=lambda p: p.get("unit") == "session"):
        lows[price["treatment"]] = price["min"] / (
            price.get("sessions") or 1
        )  # session prices last: they win
    for t in r["treatments"]:
        if t not in lows and general:
            lows[t] = general["min"]
    if code is not None:
        return lows.get(code)
    return min(lows.values(), default=None)


def at_most(value, limit):
    return value is not None and value <= limit


FILTERS = [
    ({}, lambda r: True),
    ({"treatment": ["rf-microneedling"]}, lambda r: "rf-microneedling" in r["treatments"]),
    (
        {"treatment": ["microneedling", "prp-microneedling"]},
        lambda r: {"microneedling", "prp-microneedling"} <= set(r["treatments"]),
    ),
    (
        {"qualified": True},
        lambda r: any(is_valid_certification(c, date.today()) for c in r["certifications"]),
    ),
    (
        {"certification": ["licensed-esthetician", "registered-nurse"]},
        lambda r: any(
            c["code"] in ("licensed-esthetician", "registered-nurse")
            and is_valid_certification(c, date.today())
            for c in r["certifications"]
        ),
    ),
    ({"min_rating": 4.5}, lambda r: mean(r) is not None and mean(r) >= 4.5),
    (
        {"min_reviews": 10, "max_price": 300},
        lambda r: len(r["reviews"]) >= 10 and at_most(starting_price(r), 300),
    ),
    (
        {"treatment": ["microneedling"], "max_price": 280},
        lambda r: at_most(starting_price(r, "microneedling"), 280),
    ),
]


@pytest.mark.parametrize("seed", range(16))
def test_random_radius_searches_return_exactly_the_independent_set(es, directory_settings, records, seed):
    rng = random.Random(seed)
    anchor = rng.choice(records)["location"]
    centre = (anchor["lat"] + rng.uniform(-0.2, 0.2), anchor["lon"] + rng.uniform(-0.2, 0.2))
    radius = rng.choice([5, 15, 40, 120])
    params, predicate = FILTERS[seed % len(FILTERS)]
    sort = rng.choice(["best", "distance", "rating"])
    query = SearchQuery(
        lat=centre[0],
        lon=centre[1],
        radius=radius,
        sort=sort,
        limit=rng.choice([3, 7, 20]),
        facets=False,
        **params,
    )
    items = all_pages(es, directory_settings.index, query)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)), "a result appeared on two pages"
    inside, edge = expected_ids(records, centre, radius, predicate)
    assert inside <= set(ids) <= inside | edge
    for item in items:
        true_km = geodesic(centre, (item["location"]["lat"], item["location"]["lon"])).km
        assert item["distance_km"] == pytest.approx(true_km, rel=0.005, abs=0.002)


TYPED = [
    ("vampire facial", lambda r: "prp-microneedling" in r["treatments"]),
    ("micro-needling", lambda r: "microneedling" in r["treatments"]),
    ("botox", lambda r: "botox" in r["treatments"]),
    ("", lambda r: True),
]


@pytest.mark.parametrize("seed", range(8))
def test_a_place_and_treatment_typed_in_one_box_return_exactly_the_independent_set(
    es, directory_settings, records, seed
):
    import zipcodes

    rng = random.Random(seed)
    postal_code = rng.choice(records)["address"]["postal_code"]
    (place,) = zipcodes.matching(postal_code)
    centre = (float(place["lat"]), float(place["long"]))
    words, predicate = TYPED[seed % len(TYPED)]
    query = understand_query(SearchQuery(q=f"{words} near {postal_code}", limit=7, facets=False), None)
    items = all_pages(es, directory_settings.index, query)
    inside, edge = expected_ids(records, centre, 25 * 1.609344, predicate)
    assert inside <= {i["id"] for i in items} <= inside | edge


def test_distance_sort_is_nearest_first(es, directory_settings):
    query = SearchQuery(lat=27.95, lon=-82.46, radius=80, sort="distance", limit=50, facets=False)
    distances = [i["distance_km"] for i in search(es, directory_settings.index, query).items]
    assert len(distances) > 5
    assert distances == sorted(distances)


def test_bbox_returns_exactly_the_clinics_inside_the_box(es, directory_settings, records):
    west, south, east, north = -81.2, 35.0, -80.6, 35.5
    query = SearchQuery(bbox=BBox(west, south, east, north), limit=15, facets=False)
    ids = {i["id"] for i in all_pages(es, directory_settings.index, query)}
    expected = {
        r["id"]
        for r in records
        if south <= r["location"]["lat"] <= north and west <= r["location"]["lon"] <= east
    }
    assert ids == expected and ids


def test_total_counts_every_match_and_facets_count_the_filtered_set(es, directory_settings, records):
    query = SearchQuery(lat=25.77, lon=-80.19, radius=60, limit=5)
    results = search(es, directory_settings.index, query)
    inside, edge = expected_ids(records, (25.77, -80.19), 60, lambda r: True)
    assert len(inside) <= results.total <= len(inside) + len(edge)
    microneedling = next(f for f in results.facets["treatment"] if f["value"] == "microneedling")
    with_filter = search(
        es,
        directory_settings.index,
        SearchQuery(lat=25.77, lon=-80.19, radius=60, treatment=["microneedling"], limit=5),
    )
    assert microneedling["count"] == with_filter.total


def test_one_five_star_review_does_not_outrank_hundreds_of_excellent_ones(es, directory_settings, records):
    query = SearchQuery(sort="rating", limit=100, facets=False)
    order = [i["id"] for i in search(es, directory_settings.index, query).items]
    single = [r["id"] for r in records if len(r["reviews"]) == 1 and r["reviews"][0]["rating"] == 5]
    many = [r["id"] for r in records if len(r["reviews"]) >= 100 and mean(r) >= 4.7]
    assert single and many
    assert all(order.index(m) < (order.index(s) if s in order else len(order)) for m in many for s in single)


@pytest.mark.parametrize(
    "text", ["<script>alert(1)</script>", '" OR 1=1 --', "‮gnilde‬ \u200f", "{{7*7}}", "née: (AND) ~ *"]
)
def test_hostile_text_is_treated_as_text(es, directory_settings, text):
    """No query syntax, no script: the text finds what its words alone find."""
    results = search(es, directory_settings.index, SearchQuery(q=text, limit=100, facets=False))
    words = re.sub(r"[^\w]+", " ", text).strip()
    plain = (
        search(es, directory_settings.index, SearchQuery(q=words, limit=100, facets=False)) if words else None
    )
    assert [i["id"] for i in results.items] == ([i["id"] for i in plain.items] if plain else [])


def test_typo_tolerant_text_search(es, directory_settings):
    results = search(es, directory_settings.index, SearchQuery(q="microneedeling", limit=5, facets=False))
    assert results.total > 0
    assert any("microneedling" in {t["code"] for t in i["treatments"]} for i in results.items)


@pytest.mark.parametrize(
    "utc_time", ["2026-11-23T15:30:00+00:00", "2026-11-28T23:45:00+00:00", "2026-11-29T03:10:00+00:00"]
)
def test_open_now_uses_each_clinics_own_time_zone(es, directory_settings, records, utc_time):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime.fromisoformat(utc_time)
    expected = set()
    for r in records:
        hours = r.get("hours")
        if not hours:
            continue
        local = now.astimezone(ZoneInfo(hours["timezone"]))
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
        minute = f"{local:%H:%M}"
        if any(span.split("-")[0] <= minute < span.split("-")[1] for span in hours.get(day) or []):
            expected.add(r["id"])
    query = SearchQuery(open_now=True, limit=100, facets=False)
    ids = set()
    while True:
        results = search(es, directory_settings.index, query, now=now)
        ids |= {i["id"] for i in results.items}
        if not results.next_cursor:
            break
        query.cursor = results.next_cursor
    assert ids == expected
    assert 0 < len(expected) < len(records) or utc_time.endswith("03:10:00+00:00")
