"""A cost guide in a real Chromium on a desktop and a phone: the chart and the numbers, then a
clinic's link to its profile, which shows the treatment's price and when it was confirmed."""

import re

import pytest

pytestmark = pytest.mark.browser


def test_cost_guide_chart_numbers_and_a_clinic_profile(page, live_server, axe, artifacts):
    page.goto(live_server + "/costs/microneedling/nc/charlotte/")
    assert axe(page) == []
    summary = page.locator("#cost-summary").inner_text()
    assert re.match(r"Most clinics charge \$[\d,]+–\$[\d,]+ per session", summary)
    shown = "narrow" if page.viewport_name == "phone" else "wide"
    chart = page.locator(f"figure.price-chart svg.{shown}[role=img]")
    assert chart.is_visible() and chart.bounding_box()["width"] > 300
    assert page.locator(f"figure.price-chart svg:not(.{shown})").is_hidden()
    assert chart.locator("rect.bar").count() >= 3
    assert page.locator(f"#chart-title-{shown}").text_content().startswith("How ")
    median = page.locator("[data-number=median]").inner_text()
    assert re.fullmatch(r"\$[\d,]+", median) and f"median {median}" in chart.text_content()
    page.screenshot(path=str(artifacts / f"cost-guide-{page.viewport_name}.png"), full_page=True)

    card = page.locator("#clinics-title ~ ol.results > li.card").first
    price = card.locator("p.price").inner_text()
    assert price.startswith("Microneedling (collagen induction therapy): from $")
    card.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/providers/"))
    row = page.locator("table.prices tr[data-treatment=microneedling]")
    assert re.search(r"\$[\d,]+", row.locator("td").first.inner_text())
    assert "typical nearby" in row.inner_text()
    assert re.match(
        r"Treatments and prices confirmed by .+ on [A-Z][a-z]+ \d{1,2}, \d{4}",
        page.locator(".fact-date[data-fact=prices]").inner_text(),
    )
    assert axe(page) == []
    page.locator("#treatments-title").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"profile-prices-{page.viewport_name}.png"))


def test_cost_guides_and_a_profiles_prices_work_under_the_policy(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900})  # the policy enforced
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: violations.append(str(error)))
    for path in ("/costs/", "/costs/microneedling/", "/costs/microneedling/nc/"):
        page.goto(live_server + path)
        page.wait_for_load_state("load")
    page.goto(live_server + "/costs/microneedling/nc/charlotte/")
    policy = page.context.request.get(page.url).headers["content-security-policy"]
    assert "style-src 'self'" in policy and "script-src 'self'" in policy
    # The chart's look comes from the stylesheet: one drawing shown, bars filled, no inline style.
    assert page.locator("figure.price-chart svg.wide").is_visible()
    assert page.locator("figure.price-chart svg.narrow").is_hidden()
    assert page.locator("figure.price-chart [style]").count() == 0
    assert page.locator('script[type="application/ld+json"]').count() >= 1
    page.locator("#clinics-title ~ ol.results > li.card h3 a").first.click()
    page.wait_for_url(re.compile(r"/providers/"))
    assert page.locator("table.prices tr[data-treatment=microneedling]").is_visible()
    page.wait_for_load_state("load")
    context.close()
    assert violations == []
