"""The consumer path in a real headless Chromium, on a desktop (1366x900) and a phone (390x844)."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser


def cards(page):
    return page.locator("ol.results > li.card")


def params(page) -> dict:
    return parse_qs(urlparse(page.url).query)


def chip_labels(page) -> set[str]:
    """The active-filter chips as they read: "Remove filter: 4 stars & up" -> "4 stars & up"."""
    texts = page.locator("#chips-region a.chip").all_text_contents()
    return {t.replace("Remove filter:", "").replace("×", "").strip() for t in texts}


def no_reload_marker(page):
    """Mark the loaded document; the mark survives only while the page is not reloaded."""
    page.evaluate("window.__sameDocument = true")


def still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def wait_for_count_change(page, before: str):
    page.wait_for_function(
        "before => document.getElementById('count').textContent !== before"
        " && !document.getElementById('results').hasAttribute('aria-busy')",
        arg=before,
    )


def test_search_filter_by_keyboard_map_profile_and_back(page, live_server, axe, artifacts):
    """Search -> filter with the keyboard only -> map/list -> profile -> back with the search kept.

    Defect 5: a filter change reloaded the page, moved focus to the body and scrolled to the
    top (WCAG 3.2.2), and on a phone each tap folded the filter panel.
    """
    phone = page.viewport_name == "phone"
    page.goto(live_server + "/")
    assert axe(page) == []
    page.screenshot(path=str(artifacts / f"home-{page.viewport_name}.png"), full_page=True)
    page.get_by_label("Place").fill("28202")
    page.get_by_label("Treatment").select_option("microneedling")
    page.get_by_label("Place").press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    assert cards(page).count() > 0
    assert axe(page) == []
    no_reload_marker(page)

    if phone:  # filters start folded away; the keyboard opens them
        page.locator("#filters-panel > summary").focus()
        page.keyboard.press("Enter")
    # "Verified credentials only" with the space bar: the list updates, nothing else moves.
    box = page.get_by_label("Verified credentials only")
    box.focus()
    page.evaluate("window.scrollTo(0, 200)")
    scrolled = page.evaluate("window.scrollY")
    before = page.locator("#count").inner_text()
    page.keyboard.press("Space")
    wait_for_count_change(page, before)
    assert params(page)["qualified"] == ["true"]
    assert still_same_document(page), "the page reloaded"
    assert page.evaluate("document.activeElement.name") == "qualified"
    assert page.evaluate("window.scrollY") == scrolled
    assert page.locator("#filters-panel").get_attribute("open") is not None, "the panel folded"
    assert page.locator("#count").get_attribute("role") == "status"  # announced

    # Rating with the arrow keys: each step updates in place and keeps focus on the radio group.
    page.get_by_label("Any", exact=True).focus()
    before = page.locator("#count").inner_text()
    page.keyboard.press("ArrowDown")  # 4.5 stars & up
    page.keyboard.press("ArrowDown")  # 4 stars & up
    page.wait_for_function("new URLSearchParams(location.search).get('min_rating') === '4'")
    wait_for_count_change(page, before)
    assert page.evaluate("document.activeElement.value") == "4"
    assert still_same_document(page)

    # "Within" with the arrow keys, as a closed select: no reload, focus kept.
    if not phone:
        page.get_by_label("Within").focus()
        page.keyboard.press("ArrowDown")  # 25 -> 50 miles
        page.wait_for_function("new URLSearchParams(location.search).get('radius') === '50mi'")
        assert "of" in page.locator("#count").inner_text()
        assert page.evaluate("document.activeElement.name") == "radius"
        assert still_same_document(page)
    else:  # "Apply filters" folds the panel and takes the visitor to the results
        page.get_by_role("button", name="Apply filters").press("Enter")
        page.wait_for_function("!document.getElementById('filters-panel').open")
        assert page.evaluate("document.activeElement.id") == "count"

    # The active filters show as chips; each result meets them.
    assert chip_labels(page) >= {
        "Verified credentials only",
        "4 stars & up",
        "Microneedling (collagen induction therapy)",
    }
    for card in cards(page).all():
        assert card.locator(".badge").count() >= 1
        rating = float(re.search(r"(\d\.\d) out of 5", card.locator(".rating").inner_text()).group(1))
        assert rating >= 4.0
    page.screenshot(path=str(artifacts / f"results-{page.viewport_name}.png"), full_page=True)

    # Removing a chip by keyboard removes that filter and moves focus to the next chip.
    rating_chip = page.get_by_role("link", name=re.compile("Remove filter: 4 stars"))
    rating_chip.focus()
    before = page.locator("#count").inner_text()
    page.keyboard.press("Enter")
    wait_for_count_change(page, before)
    assert "min_rating" not in params(page)
    assert page.get_by_label("Any", exact=True).is_checked()
    # Focus moved to what followed the removed chip, not to the top of the page.
    assert page.evaluate("document.activeElement.closest('#chips-region') !== null")
    if phone:
        page.locator("#filters-panel > summary").click()
    page.get_by_label("4 stars & up").check()
    page.wait_for_function("new URLSearchParams(location.search).get('min_rating') === '4'")
    page.wait_for_function("!document.getElementById('results').hasAttribute('aria-busy')")
    results_url = page.url

    # The map: numbered markers reachable by keyboard; a phone switches between list and map.
    if phone:
        assert page.locator("#map").is_hidden()
        page.get_by_role("button", name="Map", exact=True).click()
        assert page.locator("#map").is_visible() and cards(page).first.is_hidden()
    page.wait_for_selector(".result-marker, .marker-cluster")
    page.locator(".you-are-here").wait_for(state="attached")
    marker = page.locator(".result-marker").first
    if marker.count():
        marker.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(".leaflet-popup-content a")
    if phone:
        page.get_by_role("button", name="List", exact=True).click()
        assert cards(page).first.is_visible() and page.locator("#map").is_hidden()

    first = cards(page).first
    name = first.locator("h2 a").inner_text()
    first.locator("h2 a").click()
    page.wait_for_url(re.compile(r"/providers/"))
    assert page.locator("h1").inner_text() in name
    assert page.locator("article.review").count() > 0
    assert axe(page) == []
    page.screenshot(path=str(artifacts / f"profile-{page.viewport_name}.png"), full_page=True)
    page.get_by_role("link", name="Lowest rated").click()
    stars = [len(s.replace("☆", "")) for s in page.locator("article.review .stars").all_inner_texts()]
    assert stars == sorted(stars)

    page.get_by_role("link", name="Back to results").click()
    page.wait_for_url(re.compile(r"/search\?"))
    assert parse_qs(urlparse(page.url).query) == parse_qs(urlparse(results_url).query)
    assert chip_labels(page) >= {"Verified credentials only", "4 stars & up"}


def test_sort_by_distance_orders_cards_nearest_first(desktop, live_server):
    desktop.goto(live_server + "/search?location=Tampa, FL&radius=50mi")
    desktop.get_by_label("Sort by").select_option("distance")
    desktop.wait_for_url(re.compile(r"sort=distance"))
    desktop.wait_for_function("!document.getElementById('results').hasAttribute('aria-busy')")
    miles = [float(t.split()[0]) for t in desktop.locator("li.card .distance").all_inner_texts()]
    assert len(miles) > 3 and miles == sorted(miles)


def marker_total(page) -> int:
    """Result markers on the map, counting those gathered in clusters."""
    clustered = sum(int(t) for t in page.locator(".marker-cluster [aria-hidden=true]").all_inner_texts())
    return page.locator(".result-marker").count() + clustered


def test_map_shows_every_result_clustered_when_dense_without_tiles(desktop, live_server):
    desktop.goto(live_server + "/search?location=Orlando, FL&radius=50mi&limit=12")
    desktop.wait_for_selector(".result-marker, .marker-cluster")
    assert marker_total(desktop) == cards(desktop).count() > 0
    assert desktop.locator(".marker-cluster").count() > 0, "dense markers are clustered"
    cluster = desktop.locator(".marker-cluster").first
    assert cluster.get_attribute("tabindex") == "0" and "press Enter" in cluster.inner_text()
    for marker in desktop.locator(".result-marker").all():
        assert marker.get_attribute("tabindex") == "0" and marker.get_attribute("role") == "button"


def test_marker_highlight_moves_and_clears(desktop, live_server):
    """Defect 11: a clicked marker highlighted its card, and highlights never cleared."""
    desktop.goto(live_server + "/search?location=Seattle, WA&radius=100mi&sort=distance")
    desktop.wait_for_selector(".result-marker, .marker-cluster")
    while desktop.locator(".result-marker").count() < 2:  # zoom into clusters until markers show
        desktop.locator(".marker-cluster").first.click()
        desktop.wait_for_timeout(400)
    first, second = desktop.locator(".result-marker").nth(0), desktop.locator(".result-marker").nth(1)
    first.click()
    assert desktop.locator(".card.highlight").count() == 1
    second.click()
    assert desktop.locator(".card.highlight").count() == 1
    assert desktop.locator(".result-marker.active").count() == 1
    desktop.keyboard.press("Escape")  # closing the popup clears the highlight
    desktop.wait_for_function("document.querySelectorAll('.card.highlight').length === 0")


def test_moving_the_map_offers_search_this_area(desktop, live_server):
    desktop.goto(live_server + "/search?location=Miami, FL&radius=25mi")
    desktop.wait_for_selector(".result-marker, .marker-cluster")
    assert desktop.locator("#search-area").is_hidden()
    box = desktop.locator("#map").bounding_box()
    desktop.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    desktop.mouse.down()
    desktop.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 40, steps=8)
    desktop.mouse.up()
    desktop.locator("#search-area").click()
    desktop.wait_for_url(re.compile(r"bbox="))
    west, south, east, north = map(float, parse_qs(urlparse(desktop.url).query)["bbox"][0].split(","))
    assert west < east and south < north
    assert desktop.get_by_role("link", name="Remove filter: Map area").is_visible()


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
    # Defect 11: the place box was empty with no word of where the search is.
    assert page.get_by_label("Place").get_attribute("placeholder") == "Your current location"
    assert "Searching near your current location" in page.locator("form.search").inner_text()
    page.locator("form.search select[name=treatment]").select_option("rf-microneedling")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"treatment=rf-microneedling"))
    assert "lat=35.2271" in page.url, "a new treatment keeps searching near the visitor"
    page.get_by_label("Place").fill("Raleigh, NC")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"location=Raleigh"))
    assert "lat=" not in page.url
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
    assert "page=2" in page.url and cards(page).count() > 0
    assert page.locator("#count").inner_text().startswith("21–")
    page.get_by_role("link", name="Remove filter: Verified credentials only").click()
    assert "qualified" not in page.url and "page=" not in page.url
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/how-we-verify",
        "/learn/what-is-microneedling",
        "/no-such-page",
        "/search?location=+++",
        "/search?location=28202&radius=5mi&min_reviews=100000",
    ],
)
def test_pages_have_no_serious_accessibility_violations(page, live_server, axe, path):
    page.goto(live_server + path)
    assert axe(page) == []


def test_filters_and_tables_never_split_words_on_a_phone(browser, live_server, viewports):
    """Defect 6: `overflow-wrap: anywhere` broke "(4)", "Verified" and dates mid-token."""
    context = browser.new_context(**viewports["phone"])
    page = context.new_page()
    page.goto(live_server + "/search?location=28202&treatment=microneedling")
    page.locator("details.filters-wrap > summary").click()
    split = page.evaluate(
        """() => [...document.querySelectorAll('#filters .n')]
            .filter(n => n.offsetParent && n.getClientRects().length > 1).map(n => n.textContent)"""
    )
    assert split == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(live_server + "/providers/the-pure-aesthetics-charlotte--charlotte-nc-001")
    words = page.evaluate(
        """() => [...document.querySelectorAll('.credentials tbody :is(td, th)')].flatMap(cell => {
              const range = document.createRange();
              return [...cell.querySelectorAll('*'), cell].flatMap(node => [...node.childNodes])
                .filter(t => t.nodeType === 3).flatMap(t => {
                  const out = []; const re = /\\S+/g; let m;
                  while ((m = re.exec(t.data))) {
                    range.setStart(t, m.index); range.setEnd(t, m.index + m[0].length);
                    if (range.getClientRects().length > 1) out.push(m[0]);
                  }
                  return out;
                });
            })"""
    )
    assert words == [], f"split across lines: {words}"
    assert page.evaluate("getComputedStyle(document.querySelector('main')).overflowWrap") != "anywhere"
    context.close()


def test_report_a_problem_confirms_where_the_visitor_is(page, live_server):
    """Defect 7: the confirmation appeared at the top while the browser sat at the form below."""
    page.goto(live_server + "/providers/the-pure-aesthetics-charlotte--charlotte-nc-001")
    page.get_by_text("Report a problem with this listing").click()
    page.get_by_label("What is wrong?").select_option("wrong-details")
    page.get_by_label("Details").fill("The Saturday hours changed last month.")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(re.compile(r"#report$"))
    confirmation = page.locator("#report .confirmation")
    assert "Thank you" in confirmation.inner_text()
    box = confirmation.bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, "the confirmation is on screen"
    assert page.locator(".flashes").count() == 0, "no second copy at the top of the page"


def test_phone_results_fit_the_screen(browser, live_server, viewports):
    context = browser.new_context(**viewports["phone"])
    page = context.new_page()
    page.goto(live_server + "/search?location=28202&treatment=microneedling")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
