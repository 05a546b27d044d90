"""Cost guides (GET /api/v1/costs) against a plain Python computation over the fixture records.

The expected numbers use the standard library's `statistics.quantiles(method="inclusive")`
(linear interpolation between closest ranks) over each clinic's typical price per session,
worked out from the record as it was sent: the clinic's own session price for the treatment,
else its package price divided by the sessions, else its general price_range; the midpoint of
that range. Places are checked with geopy's geodesic distance, away from the radius edge.
"""

import statistics

import pytest
from geopy.distance import geodesic

from directory.search import costs

BAND = 0.005


@pytest.fixture(scope="module")
def records(directory_settings):
    """The fixture records as indexed (with geocoded locations), read back from the store."""
    from sqlalchemy.orm import Session

    from registry import db, listings

    engine = db.open_store(directory_settings.database_url)
    with Session(engine) as session:
        return list(listings.iter_records(session))


def typical(record: dict, code: str) -> float | None:
    if code not in record["treatments"]:
        return None
    mine = [p for p in record.get("prices", []) if p["treatment"] == code]
    own = [p for p in mine if p.get("unit", "session") == "session"] or [p for p in mine if p.get("sessions")]
    if own:
        n = own[0].get("sessions") or 1
        low, high = own[0]["min"] / n, own[0]["max"] / n
    elif record.get("price_range"):
        low, high = record["price_range"]["min"], record["price_range"]["max"]
    else:
        return None
    return (round(low, 2) + round(high, 2)) / 2


def expected(prices: list[float]) -> dict:
    if not prices:
        return {"count": 0, "min": None, "p10": None, "p25": None, "median": None, "p75": None, "p90": None}
    cuts = statistics.quantiles(prices, n=20, method="inclusive") if len(prices) > 1 else [prices[0]] * 19
    return {
        "count": len(prices),
        "min": min(prices),
        "p10": cuts[1],
        "p25": cuts[4],
        "median": cuts[9],
        "p75": cuts[14],
        "p90": cuts[17],
        "max": max(prices),
    }


def near(records, code, centre, radius_km):
    inside, edge = [], []
    for r in records:
        price = typical(r, code)
        if price is None:
            continue
        d = geodesic(centre, (r["location"]["lat"], r["location"]["lon"])).km
        if d <= radius_km * (1 - BAND):
            inside.append(price)
        elif d <= radius_km * (1 + BAND):
            edge.append(r["id"])
    assert not edge, f"pick another radius: {edge} lie on the edge"
    return inside


CASES = [
    # treatment, parameters, the place as (lat, lon, km) or a state or None for the nation
    ("microneedling", "location=Charlotte, NC&radius=25mi", ("Charlotte, NC", 25 * 1.609344)),
    ("rf-microneedling", "location=Miami, FL&radius=40mi", ("Miami, FL", 40 * 1.609344)),
    ("prp-microneedling", "lat=35.7796&lon=-78.6382&radius=60km", ((35.7796, -78.6382), 60)),
    ("chemical-peel", "location=Los Angeles, CA&radius=100mi", ("Los Angeles, CA", 100 * 1.609344)),
    ("microneedling", "state=FL", "FL"),
    ("hydrafacial", "state=TX", "TX"),
    ("microneedling", "", None),
    ("botox", "", None),
]


@pytest.mark.parametrize("code, params, place", CASES)
def test_cost_numbers_equal_a_plain_percentile_computation(web, geocoder, records, code, params, place):
    body = web.get(f"/api/v1/costs?treatment={code}&{params}").get_json()
    if place is None:
        prices = [p for r in records if (p := typical(r, code)) is not None]
    elif isinstance(place, str):
        prices = [
            p for r in records if r["address"]["state"] == place and (p := typical(r, code)) is not None
        ]
    else:
        where, km = place
        if isinstance(where, str):
            found = geocoder.geocode(where)
            where = (found.latitude, found.longitude)
        prices = near(records, code, where, km)
    want = expected(prices)
    assert body["count"] == want["count"] > 1
    for name in ("min", "p10", "p25", "median", "p75", "p90", "max"):
        assert body[name] == pytest.approx(want[name], abs=0.006), name
    assert body["exact"] is True and body["currency"] == "USD" and body["treatment"] == code
    assert sum(b["count"] for b in body["histogram"]) == want["count"]
    for b in body["histogram"]:
        assert b["count"] == sum(b["from"] <= p < b["to"] for p in prices)


def test_the_response_follows_its_documented_schema(web):
    from directory.api import schemas

    body = web.get("/api/v1/costs?treatment=microneedling&location=28202").get_json()
    assert schemas.CostGuide().validate(body) == {}
    assert body["radius_km"] == pytest.approx(25 * 1.609344, abs=0.001) and body["updated_at"]


@pytest.mark.parametrize(
    "params, parameter",
    [
        ("treatment=tattoo-removal", "treatment"),
        ("", "treatment"),
        ("treatment=botox&state=ZZ", "state"),
        ("treatment=botox&state=NC&location=Raleigh", "state"),
        ("treatment=botox&radius=5mi", "radius"),
        ("treatment=botox&lat=35", "lon"),
    ],
)
def test_bad_parameters_are_named(web, params, parameter):
    resp = web.get(f"/api/v1/costs?{params}")
    assert resp.status_code == 400
    assert parameter in {e["parameter"] for e in resp.get_json()["errors"]}


def test_an_unknown_place_gets_suggestions_and_an_empty_place_a_count_of_zero(web):
    resp = web.get("/api/v1/costs?treatment=botox&location=Charlote, NC")
    assert resp.status_code == 400
    empty = web.get("/api/v1/costs?treatment=laser-resurfacing&location=Fairbanks, AK&radius=5mi").get_json()
    assert empty["count"] == 0 and empty["median"] is None and empty["histogram"] == []


def test_linear_interpolation_between_closest_ranks():
    values, counts = [100.0, 200.0, 400.0], [1, 2, 1]  # 100, 200, 200, 400
    assert costs.percentile(values, counts, 0.5) == 200
    assert costs.percentile(values, counts, 0.9) == pytest.approx(340)  # rank 2.7: 200 + 0.7 * 200
    assert costs.percentile([250.0], [1], 0.1) == 250
    assert costs.histogram([100.0, 149.0, 310.0], [1, 1, 2], 50) == [
        {"from": 100, "to": 150, "count": 2},
        {"from": 150, "to": 200, "count": 0},
        {"from": 200, "to": 250, "count": 0},
        {"from": 250, "to": 300, "count": 0},
        {"from": 300, "to": 350, "count": 2},
    ]


def test_beyond_the_exact_limit_percentiles_stay_within_one_percent(es, new_alias):
    """20,000 clinics with 20,000 distinct prices: the terms cannot all be listed, so the TDigest
    answers; every percentile must be within 1% of the exact value."""
    from elasticsearch import helpers

    from indexer import index
    from indexer.mapping import MAPPING, index_settings

    alias = new_alias("costs")
    name = f"{alias}-1"
    es.indices.create(index=name, mappings=MAPPING, settings=index_settings(), aliases={alias: {}})
    try:
        rng = __import__("random").Random(3)
        prices = [round(rng.lognormvariate(5.8, 0.35), 2) + i * 1e-4 for i in range(20_000)]
        docs = (
            {
                "_index": name,
                "_id": str(i),
                "_source": {
                    "treatments": ["microneedling"],
                    "price": {"min": p, "max": p, "currency": "USD"},
                    "treatment_price": {"microneedling": {"min": p, "max": p, "typical": p}},
                },
            }
            for i, p in enumerate(prices)
        )
        helpers.bulk(es, docs, chunk_size=5000, refresh=True)
        (guide,) = costs.cost_guides(es, alias, [costs.CostQuery("microneedling")])
        want = expected(prices)
        assert guide["exact"] is False and guide["count"] == 20_000
        for name_ in ("p10", "p25", "median", "p75", "p90"):
            assert guide[name_] == pytest.approx(want[name_], rel=0.01), name_
        assert sum(b["count"] for b in guide["histogram"]) == 20_000
    finally:
        index.delete_alias_and_indices(es, alias)


def test_a_state_in_lower_case_is_the_same_state(web):
    lower = web.get("/api/v1/costs?treatment=microneedling&state=fl").get_json()
    assert lower == web.get("/api/v1/costs?treatment=microneedling&state=FL").get_json()
    assert lower["place"] == "Florida" and lower["count"] > 0


def test_a_whole_state_named_as_the_location_is_that_states_guide(web):
    named = web.get("/api/v1/costs?treatment=microneedling&location=Florida").get_json()
    assert named["state"] == "FL" and named["radius_km"] is None and named["place"] == "Florida"
    assert named["count"] == web.get("/api/v1/costs?treatment=microneedling&state=FL").get_json()["count"]
