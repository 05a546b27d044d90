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
