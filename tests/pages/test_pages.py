"""Consumer pages through the Flask test client: same results as the API, SEO, escaping."""

import json
import math
import re
from datetime import UTC, datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from directory import create_app
from indexer.load import load_files
from registry import db, listings
from registry.derive import profile_slug

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def card_ids(html: str) -> list[str]:
    return re.findall(r'<li class="card" id="provider-([^"]+)"', html)


def jsonld_blocks(html: str) -> list[dict]:
    return [
        json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


@pytest.mark.parametrize(
    "params",
    [
        "location=28202&treatment=microneedling",
        "location=Miami, FL&qualified=true&min_rating=4&sort=rating",
        "location=Raleigh, NC&radius=50mi&sort=distance&limit=10",
        "q=prp&limit=15",
    ],
)
def test_results_page_and_api_return_the_same_providers_in_the_same_order(web, params):
    html = web.get(f"/search?{params}").get_data(as_text=True)
    api = web.get(f"/api/v1/providers?{params}").get_json()
    assert card_ids(html) == [r["id"] for r in api["results"]]
    assert card_ids(html)


def test_blank_form_fields_mean_not_given(web):
    resp = web.get("/search?location=28202&treatment=&q=&max_price=")
    assert resp.status_code == 200 and card_ids(resp.get_data(as_text=True))


def nearest_within_100_miles(web, query: str) -> dict | None:
    """The nearest match anywhere within the API's maximum radius, asked of the partner API."""
    found = web.get(f"/api/v1/providers?{query}&radius=100mi&sort=distance&limit=1&facets=false")
    results = found.get_json()["results"]
    return results[0] if results else None


def test_an_empty_result_offers_the_radius_that_reaches_the_nearest_match(web):
    """Defect 8: an empty result offered only "50 miles", whether or not that found anything."""
    for treatment in ("hair-restoration-prp", "stretch-mark-treatment", "laser-resurfacing"):
        query = f"location=Asheville, NC&treatment={treatment}"
        nearest = nearest_within_100_miles(web, query)
        if nearest and nearest["distance_km"] > 5 * 1.609344:
            break
    else:
        pytest.fail("the fixtures changed: no sparse treatment near Asheville")
    html = web.get(f"/search?{query}&radius=5mi").get_data(as_text=True)
    assert "No providers found" in html
    miles = nearest["distance_km"] / 1.609344
    step = next(s for s in (10, 25, 50, 100) if s >= math.ceil(miles))
    offer = re.search(r'<a href="([^"]+)">Search within (\d+) miles: the nearest match is (\d+) miles', html)
    assert offer and int(offer.group(2)) == step and int(offer.group(3)) == round(miles)
    wider = web.get(offer.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert nearest["id"] in card_ids(wider)


def test_an_empty_result_offers_to_remove_filters_with_the_count_it_finds(web):
    html = web.get("/search?location=28202&radius=5mi&min_reviews=100000").get_data(as_text=True)
    assert "No providers found" in html
    unfiltered = web.get("/api/v1/providers?location=28202&radius=5mi&facets=false").get_json()["total"]
    link = re.search(r'<a href="([^"]+)">Remove all filters: (\d+) providers within 5 miles', html)
    assert link and int(link.group(2)) == unfiltered > 0
    assert "min_reviews" not in link.group(1)
    assert "Search within" not in html, "nothing within 100 miles has 100,000 reviews"
    assert 'href="#location"' in html  # and always: search near another place


@pytest.mark.parametrize("blank", ["+++", "", "%20%09"])
def test_a_blank_place_asks_for_one_instead_of_listing_every_clinic(web, blank):
    """Defect 8: `location=+++` gave "Providers near " and every clinic in the directory."""
    resp = web.get(f"/search?location={blank}&treatment=microneedling")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert card_ids(html) == []
    assert "Providers near" not in html
    assert 'href="#location">Place: Enter a city, ZIP code or address' in html
    assert 'id="location"' in html


def test_a_very_long_place_is_not_echoed_whole(web):
    """Defect 11: a 3,000-character query was echoed whole in the heading."""
    html = web.get("/search?location=" + "Springfield " * 250).get_data(as_text=True)
    assert "Springfield " * 20 not in html


def test_unknown_place_offers_close_matches(web):
    resp = web.get("/search?location=Charlote, NC")
    assert resp.status_code == 400
    assert "Charlotte, NC" in resp.get_data(as_text=True)


def test_numbered_pages_match_the_api_and_their_range_is_true(web):
    first = web.get("/search?location=Charlotte, NC&limit=5").get_data(as_text=True)
    total = web.get("/api/v1/providers?location=Charlotte, NC&limit=5").get_json()["total"]
    assert f"1–5 of {total} providers" in first
    pages = math.ceil(total / 5)
    assert f'href="/search?location=Charlotte%2C+NC&amp;limit=5&amp;page={pages}"' in first
    second = web.get("/search?location=Charlotte, NC&limit=5&page=2").get_data(as_text=True)
    assert f"6–10 of {total} providers" in second
    api = web.get("/api/v1/providers?location=Charlotte, NC&limit=5&page=2").get_json()
    assert card_ids(second) == [r["id"] for r in api["results"]]
    assert not set(card_ids(first)) & set(card_ids(second))
    assert '<span aria-current="page"><span class="visually-hidden">Page </span>2</span>' in second


def test_a_page_past_the_end_says_so_instead_of_a_false_range(web):
    """Defect 11: `page=99` showed "1961–1976 of 16 providers"."""
    html = web.get("/search?location=28202&treatment=microneedling&page=99").get_data(as_text=True)
    total = web.get("/api/v1/providers?location=28202&treatment=microneedling").get_json()["total"]
    assert f"Page 99 is past the end of these {total} results" in html
    assert card_ids(html) == [] and "1961" not in html
    assert 'href="/search?location=28202&amp;treatment=microneedling">Go to the first page' in html


def test_a_review_page_past_the_end_shows_the_last_page(web):
    """Defect 11: `review_page=99` showed "Page 99 of 2"."""
    api = web.get("/api/v1/providers?min_reviews=11&limit=1&facets=false").get_json()["results"][0]
    last = math.ceil(api["rating"]["count"] / 10)
    resp = web.get(f"/providers/{api['slug']}?review_page=99")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"review_page={last}#reviews")
    html = web.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"Page {last} of {last}" in html


def test_the_price_filter_says_it_reads_the_starting_price(web):
    """Defect 11: "Up to $200" listed a "$200–$625" clinic: the filter reads the lowest price."""
    html = web.get("/search?location=28202&max_price=350").get_data(as_text=True)
    assert "Starting price up to ($)" in html and "cheapest session costs this or less" in html
    for low in re.findall(r'<p class="price">From \$(\d+) a session', html):
        assert int(low) <= 350
    assert "Remove filter: </span>Starting price up to $350" in html


def test_profile_has_valid_jsonld_reviews_histogram_and_alternatives(web, directory_settings):
    api = web.get("/api/v1/providers?min_reviews=20&limit=1&facets=false").get_json()["results"][0]
    html = web.get(f"/providers/{api['slug']}?review_sort=lowest").get_data(as_text=True)
    [data] = jsonld_blocks(html)
    assert "MedicalBusiness" in data["@type"] and "HealthAndBeautyBusiness" in data["@type"]
    assert data["aggregateRating"]["reviewCount"] == api["rating"]["count"]
    assert data["aggregateRating"]["ratingValue"] == api["rating"]["average"]
    assert len(data["review"]) == 10
    ratings = [r["reviewRating"]["ratingValue"] for r in data["review"]]
    assert ratings == sorted(ratings)
    assert html.count('class="bar-row"') == 5
    assert (
        "Nearby alternatives" in html
        and f'id="provider-{api["id"]}"' not in html.split("Nearby alternatives")[1]
    )
    assert f'<link rel="canonical" href="http://localhost/providers/{api["slug"]}">' in html


def test_old_profile_slugs_redirect_to_the_current_one(web):
    resp = web.get("/providers/old-name--charlotte-nc-001")
    assert resp.status_code == 301 and resp.headers["Location"].endswith("--charlotte-nc-001")
    assert web.get("/providers/nothing--no-such-id").status_code == 404


def test_sitemap_lists_every_provider(web, directory_settings):
    index = ElementTree.fromstring(web.get("/sitemap.xml").data)
    files = [loc.text for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS)]
    urls = set()
    for f in files:
        tree = ElementTree.fromstring(web.get(f.replace("http://localhost", "")).data)
        urls |= {loc.text for loc in tree.findall("s:url/s:loc", SITEMAP_NS)}
    engine = db.open_store(directory_settings.database_url)
    with Session(engine) as session:
        expected = {f"http://localhost/providers/{profile_slug(r)}" for r in listings.iter_records(session)}
    assert expected <= urls
    assert "Sitemap: http://localhost/sitemap.xml" in web.get("/robots.txt").get_data(as_text=True)


HOSTILE = '<script>alert("x")</script>"\'><img src=x onerror=alert(1)>\u202e'


def test_hostile_text_in_every_field_is_shown_as_text(es, alias, engine, geocoder, settings, tmp_path):
    record = {
        "id": "hostile-1",
        "name": HOSTILE,
        "description": HOSTILE,
        "address": {"street": HOSTILE, "city": "Charlotte", "state": "NC", "postal_code": "28202"},
        "treatments": ["microneedling"],
        "certifications": [
            {"code": "licensed-esthetician", "name": HOSTILE, "issuer": HOSTILE, "verified": True}
        ],
        "reviews": [
            {
                "id": "r1",
                "rating": 5,
                "date": "2026-01-01",
                "title": HOSTILE,
                "text": HOSTILE,
                "author": HOSTILE,
            }
        ],
    }
    feed = tmp_path / "hostile.ndjson"
    feed.write_text(json.dumps(record) + "\n")
    assert load_files([feed], engine, es, alias, geocoder, progress=False).ok
    web = create_app({"SETTINGS": settings}).test_client()
    slug = web.get("/api/v1/providers/hostile-1").get_json()["slug"]
    for url in (f"/providers/{slug}", "/search?location=28202", f"/search?q={HOSTILE}"):
        html = web.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
    profile = web.get(f"/providers/{slug}").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in profile
    [data] = jsonld_blocks(profile)
    assert data["name"] == HOSTILE


def test_sitemap_lists_every_article(web):
    from pathlib import Path

    pages = ElementTree.fromstring(web.get("/sitemaps/pages.xml").data)
    urls = {loc.text for loc in pages.findall("s:url/s:loc", SITEMAP_NS)}
    slugs = [p.stem for p in (Path(__file__).parents[2] / "fixtures" / "content").glob("*.md")]
    assert len(slugs) >= 6
    assert {f"http://localhost/learn/{slug}" for slug in slugs} <= urls


def open_by_the_clock(hours: dict, now: datetime) -> bool:
    """Is a clinic open at `now`? Read straight from its hours, in its own time zone."""
    local = now.astimezone(ZoneInfo(hours["timezone"]))
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
    spans = (span.split("-") for span in hours.get(day) or [])
    return any(start <= local.strftime("%H:%M") < end for start, end in spans)


def test_cards_say_open_or_closed_in_each_clinics_own_time_zone(web):
    query = "q=microneedling&limit=40&sort=rating"
    before = datetime.now(UTC)
    html = web.get(f"/search?{query}").get_data(as_text=True)
    after = datetime.now(UTC)
    results = web.get(f"/api/v1/providers?{query}").get_json()["results"]
    zones = {r["hours"]["timezone"] for r in results if r["hours"]}
    assert len(zones) >= 3, "the sample spans several time zones"
    cards = dict(part.split('"', 1) for part in html.split('<li class="card" id="provider-')[1:])
    for result in results:
        if not result["hours"]:
            continue
        shown = re.search(r'<span class="(open|closed)">(Open now|Closed now)</span>', cards[result["id"]])
        expected = {open_by_the_clock(result["hours"], t) for t in (before, after)}
        assert (shown.group(2) == "Open now") in expected, result["id"]


def test_the_open_now_filter_and_the_cards_agree(web):
    html = web.get("/search?q=microneedling&open_now=true&limit=50").get_data(as_text=True)
    shown = re.findall(r'<span class="(?:open|closed)">(Open now|Closed now)</span>', html)
    assert shown and set(shown) == {"Open now"}


def test_profile_dates_and_hours_use_us_formats(web):
    html = web.get("/providers/the-pure-aesthetics-charlotte--charlotte-nc-001").get_data(as_text=True)
    assert "<dt>Tuesday</dt><dd>9 AM – 5 PM</dd>" in html and "<dt>Monday</dt><dd>Closed</dd>" in html
    assert "Eastern Time" in html
    assert re.search(r'<td data-label="Valid until">November 28, 2030</td>', html)
    assert not re.search(r">\d{4}-\d\d-\d\d<", html), "no ISO dates shown to people"
    reviewed = web.get("/api/v1/providers?min_reviews=5&limit=1").get_json()["results"][0]
    html = web.get(f"/providers/{reviewed['slug']}").get_data(as_text=True)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\d">[A-Z][a-z]+ \d{1,2}, \d{4}</time>', html)


def test_results_page_names_what_it_understood_in_heading_and_title(web):
    html = web.get("/search?q=botox+near+tampa").get_data(as_text=True)
    assert "<title>Botox providers near Tampa, FL · Provider Directory</title>" in html
    assert "<h1>Botox providers near Tampa, FL</h1>" in html
    assert re.search(r'<li class="card"[^>]*>\s*<h2>', html)  # the cards keep their own headings
    assert "Showing providers near <strong>Tampa, FL</strong>" in html
    as_text = re.search(r'<a href="([^"]+)">Search for “botox near tampa” as text instead', html)
    assert as_text and "literal=true" in as_text.group(1)
    literal = web.get(as_text.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "<h1>Search providers</h1>" in literal and "Let the search read it instead" in literal


def test_an_ambiguous_place_is_named_and_the_others_offered(web):
    html = web.get("/search?q=microneedling+portland").get_data(as_text=True)
    assert "<h1>Microneedling providers near Portland, OR</h1>" in html
    link = re.search(r'Did you mean\s*<a href="([^"]+)">Portland, ME</a>', html)
    assert link
    other = web.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "<h1>Microneedling providers near Portland, ME</h1>" in other


def test_typos_and_dropped_words_are_said(web):
    html = web.get("/search?q=votox+zzyzxq").get_data(as_text=True)
    assert "you typed “votox”" in html
    assert "leave out “zzyzxq”" in html
    assert card_ids(html)
