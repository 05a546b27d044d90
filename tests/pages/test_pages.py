"""Consumer pages through the Flask test client: same results as the API, SEO, escaping."""

import json
import re
from xml.etree import ElementTree

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


def test_empty_results_explain_and_offer_a_wider_radius(web):
    html = web.get("/search?location=28202&radius=5mi&min_reviews=100000").get_data(as_text=True)
    assert "No providers found" in html
    assert "radius=10mi" in html and "Remove all filters" in html


def test_unknown_place_offers_close_matches(web):
    resp = web.get("/search?location=Charlote, NC")
    assert resp.status_code == 400
    assert "Charlotte, NC" in resp.get_data(as_text=True)


def test_paging_links_carry_the_cursor(web):
    html = web.get("/search?location=Charlotte, NC&limit=5").get_data(as_text=True)
    next_link = re.search(r'<a rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    second = web.get(next_link).get_data(as_text=True)
    assert "6–10 of" in second
    assert not set(card_ids(html)) & set(card_ids(second))


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
