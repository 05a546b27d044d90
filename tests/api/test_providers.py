"""GET /api/v1/providers and friends, through the Flask app against the real node."""

import json

import pytest

from directory.api import schemas


def test_search_near_a_zip_returns_documented_fields(web):
    resp = web.get("/api/v1/providers?location=28202&treatment=microneedling&limit=5&explain=true")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["total"] >= 5 and len(body["results"]) == 5
    first = body["results"][0]
    for key in (
        "id",
        "name",
        "url",
        "address",
        "location",
        "distance_km",
        "rating",
        "certifications",
        "treatments",
        "price_range",
        "explain",
    ):
        assert key in first
    assert first["url"].endswith(f"/providers/{first['slug']}")
    assert set(first["explain"]["factors"]) == {"rating", "credentials", "distance", "text"}
    assert {f for f in body["facets"]} == {"treatment", "certification", "rating", "price"}
    assert all(r["distance_km"] <= 25 * 1.609344 for r in body["results"])


def test_response_matches_its_documented_schema(web):
    body = web.get("/api/v1/providers?location=Raleigh, NC&explain=true").get_json()
    errors = schemas.SearchResponse().validate(body)
    assert errors == {}


def test_bad_parameters_get_a_problem_naming_each_parameter(web):
    resp = web.get("/api/v1/providers?radius=10parsecs&limit=0&min_rating=9&lat=100")
    assert resp.status_code == 400
    assert resp.mimetype == "application/problem+json"
    named = {e["parameter"] for e in resp.get_json()["errors"]}
    assert {"radius", "limit", "min_rating", "lat"} <= named
    assert "Traceback" not in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("lat=35", "lon"),
        ("lat=35&lon=-80&location=28202", "location"),
        ("sort=distance", "sort"),
        ("bbox=1,2,3", "bbox"),
        ("radius=500mi", "radius"),
        ("cursor=garbage", "cursor"),
        ("treatment=tattoo-removal", "treatment"),
        ("certification=self-taught", "certification"),
    ],
)
def test_each_invalid_combination_names_its_parameter(web, query, parameter):
    resp = web.get(f"/api/v1/providers?{query}")
    assert resp.status_code == 400
    assert parameter in {e["parameter"] for e in resp.get_json()["errors"]}


def test_unknown_place_is_a_400_with_close_matches(web):
    resp = web.get("/api/v1/providers?location=Charlote, NC")
    assert resp.status_code == 400
    body = resp.get_json()
    assert "Charlotte, NC" in body["suggestions"]
    assert body["errors"] == [{"parameter": "location", "reason": "unknown place"}]


def test_cursor_from_another_query_is_refused(web):
    first = web.get("/api/v1/providers?location=Miami, FL&limit=2").get_json()
    resp = web.get(f"/api/v1/providers?location=Tampa, FL&limit=2&cursor={first['next_cursor']}")
    assert resp.status_code == 400
    assert resp.get_json()["errors"][0]["parameter"] == "cursor"


def test_paging_through_the_api_returns_each_match_once(web):
    first = "/api/v1/providers?location=Charlotte, NC&radius=50mi&limit=7&facets=false"
    url, ids, total = first, [], None
    while url:
        body = web.get(url).get_json()
        total = body["total"]
        ids += [r["id"] for r in body["results"]]
        url = body["next_cursor"] and f"{first}&cursor={body['next_cursor']}"
    assert len(ids) == len(set(ids)) == total > 7


def test_later_pages_reuse_the_first_pages_facet_counts_from_the_request_cache(web, es, directory_settings):
    def cache_hits() -> int:
        stats = es.indices.stats(index=directory_settings.index, metric="request_cache")
        return stats["_all"]["total"]["request_cache"]["hit_count"]

    first_url = "/api/v1/providers?location=Tampa, FL&radius=60mi&limit=5&treatment=microneedling"
    first = web.get(first_url).get_json()
    before = cache_hits()
    second = web.get(f"{first_url}&cursor={first['next_cursor']}").get_json()
    assert cache_hits() == before + 1
    assert second["facets"] == first["facets"] and second["total"] == first["total"]
    assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])


def test_a_missing_index_is_a_503_problem_not_a_500(directory_settings):
    from dataclasses import replace

    from directory import create_app

    settings = replace(directory_settings, index="test-no-such-index")
    resp = create_app({"SETTINGS": settings}).test_client().get("/api/v1/providers?location=28202")
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json"


def test_etag_allows_conditional_requests(web):
    first = web.get("/api/v1/providers?location=28202")
    assert first.headers["ETag"] and "max-age" in first.headers["Cache-Control"]
    again = web.get("/api/v1/providers?location=28202", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == first.headers["ETag"]
    weak = f"W/{first.headers['ETag']}"  # If-None-Match compares weakly
    assert web.get("/api/v1/providers?location=28202", headers={"If-None-Match": weak}).status_code == 304
    other = web.get("/api/v1/providers?location=28203", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200 and other.headers["ETag"] != first.headers["ETag"]


def test_provider_detail_paginates_and_sorts_reviews(web, directory_settings):
    found = web.get("/api/v1/providers?min_reviews=30&limit=1&facets=false").get_json()["results"][0]
    resp = web.get(f"/api/v1/providers/{found['id']}?review_limit=10&review_page=2&review_sort=lowest")
    body = resp.get_json()
    assert resp.status_code == 200 and body["reviews"]["total"] == found["rating"]["count"]
    ratings = [r["rating"] for r in body["reviews"]["items"]]
    assert len(ratings) == 10 and ratings == sorted(ratings)
    assert web.get("/api/v1/providers/nope-404").status_code == 404


def test_suggest_completes_clinics_places_and_treatments(web):
    body = web.get("/api/v1/suggest?q=micro").get_json()
    assert any(s["type"] == "treatment" and s["value"] == "microneedling" for s in body["suggestions"])
    places = web.get("/api/v1/suggest?q=Charl").get_json()["suggestions"]
    assert any(s["type"] == "place" and s["text"] == "Charlotte, NC" for s in places)
    assert len([s for s in places if s["text"] == "Charlotte, NC"]) == 1


def test_export_streams_listings_changed_since(web):
    resp = web.get("/api/v1/providers/export?updated_since=2026-06-01T00:00:00Z")
    assert resp.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]
    assert lines and all(r["updated_at"] >= "2026-06-01" for r in lines)
    assert [r["updated_at"] for r in lines] == sorted(r["updated_at"] for r in lines)
    everything = web.get("/api/v1/providers/export?updated_since=2000-01-01T00:00:00Z").get_data(as_text=True)
    assert len(everything.splitlines()) > len(lines)
    assert web.get("/api/v1/providers/export?updated_since=yesterday").status_code == 400


@pytest.mark.parametrize(
    "query", ["min_reviews=2059131108522", "max_price=5.26e307", "limit=99999999999999999999"]
)
def test_out_of_range_numbers_are_400_not_500(web, query):
    resp = web.get(f"/api/v1/providers?{query}")
    assert resp.status_code == 400


def test_absurd_review_page_is_400(web):
    assert web.get("/api/v1/providers/charlotte-nc-001?review_page=299218542812557082624").status_code == 400


@pytest.mark.parametrize("q", ["%01R%1EW", "%1F", "%00a", "%E2%80%AE"])
def test_suggest_treats_control_characters_as_nothing(web, q):
    resp = web.get(f"/api/v1/suggest?q={q}")
    assert resp.status_code == 200


@pytest.mark.parametrize(
    "location, label",
    [
        ("Queens, NY", "Queens, NY"),
        ("philly", "Philadelphia, PA"),
        ("DC", "Washington, DC"),
        ("Washington, D.C.", "Washington, DC"),
        ("LA", "Los Angeles, CA"),
        ("Manhattan", "Manhattan, NY"),
        ("north carolina", "North Carolina"),
        ("28202-1234", "Charlotte, NC 28202"),
    ],
)
def test_places_as_people_type_them_in_the_place_box(web, location, label):
    body = web.get("/api/v1/providers", query_string={"location": location, "limit": 5}).get_json()
    assert body["interpreted"]["place"]["label"] == label
    assert body["interpreted"]["place"]["source"] == "location"
    assert body["results"]


def test_interpreted_says_what_was_understood(web):
    body = web.get("/api/v1/providers", query_string={"q": "votox near tampa", "limit": 5}).get_json()
    understood = body["interpreted"]
    assert understood["treatments"] == [
        {"codes": ["botox"], "names": ["Botulinum toxin injections"], "text": "votox", "corrected": True}
    ]
    assert understood["place"]["label"] == "Tampa, FL" and understood["place"]["source"] == "q"
    assert understood["headline"] == "Botox providers near Tampa, FL"
    assert body["origin"] == {"lat": understood["place"]["lat"], "lon": understood["place"]["lon"]}
    assert all(r["distance_km"] <= 25 * 1.609344 for r in body["results"])
    assert schemas.SearchResponse().validate(body) == {}


def test_interpreted_is_in_every_search_response(web):
    for query in ("", "q=", "location=28202", "bbox=-81,35,-80.5,35.4", "lat=35.2&lon=-80.8&q=botox"):
        assert "interpreted" in web.get(f"/api/v1/providers?{query}").get_json()


def test_did_you_mean_offers_only_places_the_search_resolves(web):
    for typed in ("Charlottvle", "Charlote, NC", "Raliegh", "Tmapa FL"):
        resp = web.get("/api/v1/providers", query_string={"location": typed})
        assert resp.status_code == 400
        suggestions = resp.get_json()["suggestions"]
        assert suggestions, typed
        for place in suggestions:
            assert web.get("/api/v1/providers", query_string={"location": place}).status_code == 200, place


def test_suggested_places_are_places_the_search_resolves(web):
    for prefix in ("queens", "bron", "st pe", "phil", "wash", "ft l", "char"):
        places = [
            s
            for s in web.get(f"/api/v1/suggest?q={prefix}").get_json()["suggestions"]
            if s["type"] == "place"
        ]
        assert places, prefix
        for place in places:
            assert web.get("/api/v1/providers", query_string={"location": place["value"]}).status_code == 200


def test_suggest_completes_any_word_of_a_name_folded_typo_tolerant(web):
    def texts(q):
        return [
            s["text"] for s in web.get("/api/v1/suggest", query_string={"q": q}).get_json()["suggestions"]
        ]

    assert "Piel Bonita Clínica" in texts("clinica")
    assert "Søndergaard Skin Atelier" in texts("sonder")
    assert "Zoë's Glow Bar" in texts("zoe")
    assert "Botulinum toxin injections" in texts("botx")
    assert "Microneedling with PRP" in texts("vampire")
    assert "Board-certified dermatologist" in texts("dermatolog")


def test_suggest_puts_nearer_clinics_first_when_the_location_is_known(web):
    boston = {"q": "juniper", "lat": 42.36, "lon": -71.06}
    clinics = [s for s in web.get("/api/v1/suggest", query_string=boston).get_json()["suggestions"]]
    assert [s["value"][:6] for s in clinics[:2]] == ["boston", "boston"]
    assert web.get("/api/v1/suggest", query_string={"q": "juniper", "lat": 42.36}).status_code == 400


def test_the_api_neither_reads_nor_sets_the_session_cookie(web):
    web.get("/clinic/login")  # the sign-in form puts its CSRF token in a session cookie
    assert web.get_cookie("session") is not None
    resp = web.get("/api/v1/providers?location=28202")
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers and "Cookie" not in resp.headers.get("Vary", "")
