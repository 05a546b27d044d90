"""The Learn section (/learn/, /learn/<slug>) and GET /api/v1/articles, against the real node."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from geopy.distance import great_circle
from markupsafe import escape

from directory import create_app
from directory.api.articles import ArticleResults

CONTENT = Path(__file__).resolve().parents[2] / "fixtures" / "content"
LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)
MILES_KM = 1.609344


def front_matter(path: Path) -> dict:
    """Read independently of registry/articles.py, so the pages are checked against the files."""
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---", 2)[1])


FRONT = {meta["slug"]: meta for meta in map(front_matter, sorted(CONTENT.glob("*.md")))}


# Every test here reads the Learn articles' index beside the sample directory.
pytestmark = pytest.mark.usefixtures("articles_indexed")


def page(web, url: str, status: int = 200) -> str:
    resp = web.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def listed_slugs(html: str) -> list[str]:
    return re.findall(r'<li class="article-card" data-slug="([^"]+)"', html.split('id="related"')[0])


def provider_section(html: str) -> str:
    match = re.search(r'<section id="providers".*?</section>', html, re.DOTALL)
    assert match, "no provider block"
    return match.group(0)


def block_ids(html: str) -> list[str]:
    return re.findall(r'data-provider="([^"]+)"', provider_section(html))


def json_ld(html: str) -> dict[str, dict]:
    documents = [json.loads(text) for text in LD_JSON.findall(html)]
    return {doc["@type"]: doc for doc in documents}


def test_index_lists_every_article(web):
    html = page(web, "/learn/")
    assert set(listed_slugs(html)) == set(FRONT)
    for slug, meta in FRONT.items():
        assert f'href="/learn/{slug}"' in html
        assert str(escape(meta["title"])) in html
        assert f"{meta['reading_minutes']} min read" in html
    assert 'name="q"' in html and "learn.css" in html


def test_search_box_finds_the_aftercare_article(web):
    html = page(web, "/learn/?q=aftercare")
    assert listed_slugs(html)[0] == "microneedling-preparation-and-aftercare"
    assert "matching “aftercare”" in html
    assert 'value="aftercare"' in html


def test_search_without_an_articles_index_lists_everything(client):
    # `client` is an app whose aliases are empty: no articles index behind it.
    html = page(client, "/learn/?q=aftercare")
    assert set(listed_slugs(html)) == set(FRONT)
    assert "not possible right now" in html


def test_article_page_shows_the_article(web):
    slug = "microneedling-preparation-and-aftercare"
    meta = FRONT[slug]
    html = page(web, f"/learn/{slug}")
    assert f"<h1>{escape(meta['title'])}</h1>" in html
    assert f'<time datetime="{meta["published"].isoformat()}">' in html
    assert f'<time datetime="{meta["updated"].isoformat()}">' in html
    assert f"{meta['reading_minutes']} min read" in html
    assert '<h2 id="aftercare-the-first-24-hours">' in html and 'href="#aftercare-the-first-24-hours"' in html
    assert "<h2>Frequently asked questions</h2>" in html
    assert html.count("<details>") == len(meta["faq"])
    related = re.findall(r'data-slug="([^"]+)"', html.split('id="related"')[1])
    assert related == meta["related"]


@pytest.mark.parametrize("slug", sorted(FRONT))
def test_article_json_ld_parses_and_matches_the_front_matter(web, slug):
    meta = FRONT[slug]
    documents = json_ld(page(web, f"/learn/{slug}"))
    faq = documents["FAQPage"]
    assert faq["@context"] == "https://schema.org"
    assert [(e["@type"], e["name"], e["acceptedAnswer"]["text"]) for e in faq["mainEntity"]] == [
        ("Question", item["q"], item["a"]) for item in meta["faq"]
    ]
    article = documents["Article"]
    assert article["headline"] == meta["title"]
    assert article["description"] == meta["description"]
    assert article["datePublished"] == meta["published"].isoformat()
    assert article["dateModified"] == meta["updated"].isoformat()
    assert article["url"].endswith(f"/learn/{slug}")


@pytest.mark.parametrize("slug", ["what-is-microneedling", "microneedling-with-prp-and-serums"])
def test_provider_block_without_a_place_asks_for_one_instead_of_listing_far_away_clinics(web, slug):
    """Defect 10: with no place known the block listed clinics in Greensboro, Los Angeles and
    Philadelphia to everyone. Now it asks where the reader is (or offers the national list)."""
    treatment = FRONT[slug]["treatment"]
    html = page(web, f"/learn/{slug}")
    section = provider_section(html)
    assert "Find a qualified provider near you" in section
    assert block_ids(html) == []
    assert "Tell us where you are" in section and 'name="location"' in section
    see_all = re.search(r'class="see-all" href="([^"]+)"', section).group(1).replace("&amp;", "&")
    assert urlsplit(see_all).path == "/search"
    assert parse_qs(urlsplit(see_all).query) == {
        "treatment": [treatment],
        "qualified": ["true"],
        "sort": ["rating"],
    }
    # The national list it links to is the partner API's best-rated qualified providers.
    api = web.get(f"/api/v1/providers?treatment={treatment}&qualified=true&sort=rating&limit=3&facets=false")
    listed = re.findall(r'<li class="card" id="provider-([^"]+)"', page(web, see_all))
    assert listed[:3] == [r["id"] for r in api.get_json()["results"]]


def test_provider_block_near_a_zip_shows_providers_near_charlotte(web, geocoder):
    centre = geocoder.geocode("28202")
    html = page(web, "/learn/rf-microneedling-explained?location=28202")
    section = provider_section(html)
    ids = block_ids(html)
    assert ids
    assert "within 25 miles of 28202" in section and 'value="28202"' in section
    for provider_id in ids:
        detail = web.get(f"/api/v1/providers/{provider_id}").get_json()
        point = (detail["location"]["lat"], detail["location"]["lon"])
        assert great_circle((centre.latitude, centre.longitude), point).km <= 25 * MILES_KM + 0.1
        assert detail["address"]["state"] in {"NC", "SC"}
        assert "rf-microneedling" in {t["code"] for t in detail["treatments"]}
        assert any(c["valid"] for c in detail["certifications"])
    see_all = re.search(r'class="see-all" href="([^"]+)"', section).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(see_all).query)["location"] == ["28202"]


def test_provider_block_near_coordinates(web):
    html = page(web, "/learn/what-is-microneedling?lat=35.2271&lon=-80.8431")
    assert block_ids(html)
    assert "within 25 miles of your location" in provider_section(html)


def test_unknown_place_shows_suggestions_and_keeps_the_article(web):
    html = page(web, "/learn/what-is-microneedling?location=Charlote, NC")
    section = provider_section(html)
    assert "We could not find “Charlote, NC”" in section
    assert 'href="/learn/what-is-microneedling?location=Charlotte,+NC#providers">Charlotte, NC</a>' in section
    assert block_ids(html) == []
    assert "<h2>Frequently asked questions</h2>" in html


def test_invalid_coordinates_get_a_friendly_message(web):
    section = provider_section(page(web, "/learn/what-is-microneedling?lat=500&lon=10"))
    assert "Enter a ZIP code or a city" in section


def test_unknown_slug_is_404(web):
    page(web, "/learn/no-such-article", 404)


def test_script_in_a_markdown_body_is_escaped_on_the_page(tmp_path, directory_settings):
    (tmp_path / "hostile.md").write_text(
        "---\n"
        'title: "Hostile <b>title</b>"\n'
        "slug: hostile\n"
        'description: "Tries </script> everywhere"\n'
        "treatment: microneedling\n"
        "published: 2026-01-01\n"
        "faq:\n"
        '  - q: "Break out?</script><script>alert(2)</script>"\n'
        '    a: "No <!-- way --> & no."\n'
        "---\n\n"
        "## Heading\n\n<script>alert(1)</script>\n\nInline <img src=x onerror=alert(3)>.\n",
        encoding="utf-8",
    )
    app = create_app({"SETTINGS": directory_settings, "TESTING": True, "ARTICLES_DIR": str(tmp_path)})
    html = page(app.test_client(), "/learn/hostile")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(3)&gt;" in html
    assert "<h1>Hostile &lt;b&gt;title&lt;/b&gt;</h1>" in html
    # Only the two JSON-LD scripts are inline scripts, and they parse back to the original text.
    inline = re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html)  # scripts from our files aside
    assert inline == ['<script type="application/ld+json">'] * 2
    documents = json_ld(html)
    question = documents["FAQPage"]["mainEntity"][0]
    assert question["name"] == "Break out?</script><script>alert(2)</script>"
    assert question["acceptedAnswer"]["text"] == "No <!-- way --> & no."
    assert documents["Article"]["description"] == "Tries </script> everywhere"


def test_api_search_puts_the_prp_article_first(web):
    resp = web.get("/api/v1/articles?q=prp")
    assert resp.status_code == 200
    body = resp.get_json()
    assert ArticleResults().validate(body) == {}
    first = body["results"][0]
    assert first["slug"] == "microneedling-with-prp-and-serums"
    assert first["treatment"] == "prp-microneedling"
    assert first["url"] == "http://localhost/learn/microneedling-with-prp-and-serums"
    assert body["total"] >= len(body["results"])


def test_api_without_q_lists_every_article_newest_first(web):
    body = web.get("/api/v1/articles").get_json()
    assert body["total"] == 6
    newest_first = sorted(FRONT.values(), key=lambda m: m["published"], reverse=True)
    assert [r["slug"] for r in body["results"]] == [m["slug"] for m in newest_first]
    assert [r["slug"] for r in web.get("/api/v1/articles?limit=2").get_json()["results"]] == [
        m["slug"] for m in newest_first[:2]
    ]


def test_api_rejects_a_bad_limit_naming_it(web):
    resp = web.get("/api/v1/articles?limit=0")
    assert resp.status_code == 400
    assert resp.mimetype == "application/problem+json"
    assert {e["parameter"] for e in resp.get_json()["errors"]} == {"limit"}


def test_api_is_documented(web):
    spec = web.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/articles"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "limit"}
    assert operation["summary"]
