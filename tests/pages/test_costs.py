"""Cost guide pages: numbers in words, the chart, comparisons, clinics, links, JSON-LD, sitemap."""

import json
import re

import pytest


def test_the_index_lists_treatments_with_national_numbers(web):
    html = web.get("/costs/").get_data(as_text=True)
    assert 'href="/costs/microneedling/"' in html and "Microneedling (collagen induction therapy)" in html


def test_a_city_guide_says_the_numbers_in_words_and_matches_the_api(web):
    resp = web.get("/costs/microneedling/nc/charlotte/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    api = web.get("/api/v1/costs?treatment=microneedling&location=Charlotte, NC&radius=25mi").get_json()
    p25, p75 = (f"${round(api[k]):,}" for k in ("p25", "p75"))
    assert f"Most clinics charge <strong>{p25}–{p75} per session</strong>" in html
    assert '<svg class="wide" viewBox="0 0 640 270" role="img"' in html and "<title>" in html
    assert '<svg class="narrow" viewBox="0 0 360 260" role="img"' in html
    assert "Compared with North Carolina and the nation" in html
    assert html.count('class="card"') >= 3 and "Microneedling (collagen induction therapy): from $" in html
    data = [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)]
    (offers,) = [d[0]["offers"] for d in data]
    assert offers["offerCount"] == api["count"] and offers["lowPrice"] == api["p10"]


@pytest.mark.parametrize(
    "url",
    ["/costs/tattoos/", "/costs/microneedling/zz/", "/costs/microneedling/NC/", "/costs/botox/nc/nowhere/"],
)
def test_unknown_guides_are_not_found(web, url):
    assert web.get(url).status_code == 404


def test_a_state_guide_links_its_cities_and_a_thin_guide_says_so(web):
    html = web.get("/costs/microneedling/fl/").get_data(as_text=True)
    assert 'href="/costs/microneedling/fl/miami/"' in html and "Compared with the nation" in html
    thin = web.get("/costs/hair-restoration-prp/").get_data(as_text=True)
    assert "What prp hair restoration costs" in thin


def test_cost_guides_are_in_the_sitemap(web):
    xml = web.get("/sitemaps/costs.xml").get_data(as_text=True)
    assert "/costs/microneedling/nc/charlotte/</loc>" in xml and "/costs/</loc>" in xml
    assert "/sitemaps/costs.xml" in web.get("/sitemap.xml").get_data(as_text=True)


def test_results_articles_and_profiles_link_their_cost_guides(web):
    html = web.get("/search?location=Charlotte, NC&treatment=microneedling").get_data(as_text=True)
    assert "Typical price for microneedling (collagen induction therapy) here:" in html
    assert 'href="/costs/microneedling/nc/charlotte/"' in html
    assert 'href="/costs/microneedling/"' in web.get("/learn/what-is-microneedling").get_data(as_text=True)
    detail = web.get("/api/v1/providers/charlotte-nc-002").get_json()
    profile = web.get(f"/providers/{detail['slug']}").get_data(as_text=True)
    typical = detail["session_prices"]["microneedling"]["typical"]
    assert f"${round(typical):,} here; typical nearby:" in profile
    assert "Treatments and prices confirmed by the data feed “clinics” on" in profile


@pytest.mark.parametrize(
    "url",
    [
        "/costs/microneedling/nc/" + "a" * 5000 + "/",
        "/costs/microneedling/nc/%00%ff/",
        "/costs/microneedling/nc/charlotte%0a/",
        "/api/v1/costs?treatment=microneedling&lat=1e400&lon=0",
        "/api/v1/costs?treatment=microneedling&location=" + "x" * 300,
        "/api/v1/costs?treatment=microneedling&location=Charlotte&radius=1e9mi",
        "/api/v1/costs?treatment=microneedling&state=%00",
        "/api/v1/costs?treatment[]=microneedling",
    ],
)
def test_hostile_addresses_get_a_clear_answer_never_a_500(web, url):
    assert web.get(url).status_code in (400, 404)


def test_cost_guide_pages_share_the_page_limit_per_address(directory_settings):
    from directory import create_app
    from registry import ratelimits

    app = create_app({"SETTINGS": directory_settings, "TESTING": True, "PAGE_LIMIT": "2 per minute"})
    ratelimits.clear(app.extensions["store"])
    web = app.test_client()
    guide = "/costs/microneedling/nc/charlotte/"
    assert [web.get(guide).status_code for _ in range(3)] == [200, 200, 429]
    other = {"REMOTE_ADDR": "192.0.2.9"}
    assert web.get("/costs/microneedling/", environ_overrides=other).status_code == 200
    ratelimits.clear(app.extensions["store"])
