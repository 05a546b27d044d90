"""The consumer path in a real headless Chromium: home -> search -> filters -> profile -> reviews."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser


def cards(page):
    return page.locator("li.card")


def test_search_flow_from_home_to_reviews(page, live_server):
    page.goto(live_server + "/")
    page.get_by_label("Place").fill("28202")
    page.get_by_label("Treatment").select_option("microneedling")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?"))
    assert cards(page).count() > 0
    assert "near 28202" in page.locator("h1").inner_text()

    if page.viewport_name == "phone":  # filters start folded away on a phone
        page.get_by_text("Filters and sort").click()
    page.get_by_label("Verified credentials only").check()
    page.wait_for_url(re.compile(r"qualified=true"))
    if page.viewport_name == "phone":
        page.get_by_text("Filters and sort").click()
    page.get_by_label(re.compile(r"\b4 stars & up")).check()
    page.wait_for_url(re.compile(r"min_rating=4"))
    params = parse_qs(urlparse(page.url).query)
    assert (
        params["qualified"] == ["true"]
        and params["min_rating"] == ["4"]
        and params["treatment"] == ["microneedling"]
    )
    assert cards(page).count() > 0
    for card in cards(page).all():
        assert card.locator(".badge").count() >= 1
        rating = float(re.search(r"(\d\.\d) out of 5", card.locator(".rating").inner_text()).group(1))
        assert rating >= 4.0

    first = cards(page).first
    name = first.locator("h2").inner_text()
    first.locator("h2 a").click()
    page.wait_for_url(re.compile(r"/providers/"))
    assert page.locator("h1").inner_text() == name
    assert page.locator("article.review").count() > 0
    page.get_by_role("link", name="Lowest rated").click()
    stars = [len(s.replace("☆", "")) for s in page.locator("article.review .stars").all_inner_texts()]
    assert stars == sorted(stars)


def test_sort_by_distance_orders_cards_nearest_first(desktop, live_server):
    desktop.goto(live_server + "/search?location=Tampa, FL&radius=50mi")
    desktop.get_by_label("Sort by").select_option("distance")
    desktop.wait_for_url(re.compile(r"sort=distance"))
    miles = [float(t.split()[0]) for t in desktop.locator("li.card .distance").all_inner_texts()]
    assert len(miles) > 3 and miles == sorted(miles)


def test_map_shows_one_marker_per_result_without_tiles(desktop, live_server):
    desktop.goto(live_server + "/search?location=Orlando, FL&radius=50mi&limit=12")
    desktop.wait_for_selector("path.result-marker")
    assert desktop.locator("path.result-marker").count() == cards(desktop).count() > 0


def test_moving_the_map_offers_search_this_area(desktop, live_server):
    desktop.goto(live_server + "/search?location=Miami, FL&radius=25mi")
    desktop.wait_for_selector("path.result-marker")
    assert desktop.locator("#search-area").is_hidden()
    box = desktop.locator("#map").bounding_box()
    desktop.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    desktop.mouse.down()
    desktop.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 40, steps=8)
    desktop.mouse.up()
    desktop.locator("#search-area").click()
    desktop.wait_for_url(re.compile(r"bbox="))
    west, south, east, north = map(float, parse_qs(urlparse(desktop.url).query)["bbox"][0].split(","))
    for card_text in desktop.locator("li.card").all_inner_texts():
        assert card_text
    assert west < east and south < north


def test_near_me_denied_shows_a_clear_message(browser, live_server, viewports):
    context = browser.new_context(**viewports["desktop"])  # no geolocation permission granted
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_role("button", name="Near me").click()
    page.wait_for_function("document.querySelector('.near-me-status').textContent.includes('could not')")
    context.close()


def test_near_me_with_permission_searches_around_the_user(browser, live_server):
    context = browser.new_context(
        geolocation={"latitude": 35.2271, "longitude": -80.8431}, permissions=["geolocation"]
    )
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_role("button", name="Near me").click()
    page.wait_for_url(re.compile(r"lat=35\.22710&lon=-80\.84310"))
    assert "Charlotte" in page.locator("li.card .where").first.inner_text()
    context.close()


def test_without_javascript_search_filters_and_paging_work(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_label("Place").fill("Charlotte, NC")
    page.get_by_role("button", name="Search", exact=True).click()
    assert cards(page).count() > 0
    page.get_by_label("Within").select_option("100mi")
    page.get_by_label("Verified credentials only").check()
    page.get_by_role("button", name="Apply filters").click()
    assert "qualified=true" in page.url and "radius=100mi" in page.url
    assert cards(page).count() == 20
    page.get_by_role("link", name="Next page").click()
    assert "cursor=" in page.url and cards(page).count() > 0
    context.close()


@pytest.mark.parametrize(
    "path", ["/", "/search?location=28202", "/providers/the-pure-aesthetics-charlotte--charlotte-nc-001"]
)
def test_pages_have_no_serious_accessibility_violations(page, live_server, axe, path):
    page.goto(live_server + path)
    assert axe(page) == []


def test_phone_screenshot_fits_the_screen(browser, live_server, viewports, artifacts):
    context = browser.new_context(**viewports["phone"])
    page = context.new_page()
    page.goto(live_server + "/search?location=28202&treatment=microneedling")
    page.wait_for_selector("path.result-marker")
    page.screenshot(path=str(artifacts / "search-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
