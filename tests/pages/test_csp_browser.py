"""The pages under their Content-Security-Policy (directory/safety.py), enforced as for visitors:
the scripts, the map, the search's interpreted heading and the JSON-LD work, and the browser
reports no violation."""

import pytest

pytestmark = pytest.mark.browser


def test_search_map_profile_and_articles_work_under_the_policy(browser, live_server, artifacts):
    context = browser.new_context(viewport={"width": 1366, "height": 900})  # the policy enforced
    page = context.new_page()
    violations = []
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.on("pageerror", lambda error: violations.append(str(error)))

    page.goto(live_server + "/search?location=Charlotte%2C%20NC&radius=25mi")
    assert "script-src 'self'" in page.context.request.get(page.url).headers["content-security-policy"]
    page.locator("#map .leaflet-marker-icon, #map .marker-cluster").first.wait_for()  # the map's scripts ran
    profile = page.locator("ol.results > li.card h2 a, ol.results > li.card h3 a").first.get_attribute("href")
    page.goto(live_server + profile)
    page.locator("#map .leaflet-marker-icon").first.wait_for()
    assert page.locator('script[type="application/ld+json"]').count() >= 1
    page.screenshot(path=str(artifacts / "csp-profile-desktop.png"))
    # What the search understood: the heading, the place used, Did you mean and the way out.
    page.goto(live_server + "/search?q=microneedling+portland")
    assert page.locator("h1").inner_text() == "Microneedling providers near Portland, OR"
    assert page.locator(".understood a", has_text="Portland, ME").count() == 1
    page.locator("#map .leaflet-marker-icon, #map .marker-cluster").first.wait_for()
    page.locator("#q").fill("votox")
    page.locator("#q").press("Enter")  # the search form's script, then the typo said
    page.locator(".understood", has_text="you typed “votox”").wait_for()
    page.screenshot(path=str(artifacts / "csp-search-understood-desktop.png"))
    for path in ("/", "/learn/what-is-microneedling", "/api/v1/docs", "/clinic/login"):
        page.goto(live_server + path)
        page.wait_for_load_state("load")
    context.close()
    assert violations == []
