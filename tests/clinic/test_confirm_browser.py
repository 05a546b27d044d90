"""In a real browser, on a desktop and a phone: a clinic confirms its prices with one click in its
form, and sees the date; the administrators' freshness report. Screenshots of both; the site's
Content-Security-Policy enforced, and no violation."""

import re
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_clinic_confirms_its_prices_and_an_administrator_reads_the_report(
    clinic_app, browser, serve_app, no_tiles, h, viewports, viewport, axe, artifacts
):
    clinic_app.config["TILE_URL"] = no_tiles
    h.sign_up(clinic_app, "good-3", f"owner-{viewport}@clinic.test")
    h.sign_up(clinic_app, None, f"admin-{viewport}@directory.test")
    with serve_app(clinic_app) as base:
        context = browser.new_context(**{**viewports[viewport], "bypass_csp": False})  # the policy enforced
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        h.sign_in_page(page, base, f"owner-{viewport}@clinic.test")
        page.wait_for_url(re.compile(r"/clinic/$"))  # clinics land on their dashboard
        page.goto(base + "/clinic/listing")
        panel = page.locator("section.freshness-panel")
        assert "Treatments and prices confirmed by the data feed" in panel.inner_text()
        assert axe(page) == []
        panel.get_by_role("button", name=re.compile("Confirm treatments and prices")).click()
        page.wait_for_url(re.compile(r"/clinic/listing"))
        assert "Confirmed as still right: treatments and prices." in page.locator(".flashes").inner_text()
        today = datetime.now(UTC)
        row = page.locator("section.freshness-panel li[data-fact=prices]").inner_text()
        assert f"confirmed by the clinic on {today:%B} {today.day}, {today.year}" in row
        page.locator("#freshness-title").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"listing-confirm-{viewport}.png"))
        page.locator("#f-prices").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"listing-prices-{viewport}.png"))
        context.close()

        context = browser.new_context(**{**viewports[viewport], "bypass_csp": False})  # the policy enforced
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        h.sign_in_page(page, base, f"admin-{viewport}@directory.test")
        page.goto(base + "/admin/freshness")
        assert page.locator("h1").inner_text() == "Freshness of listings"
        assert "All listings" in page.locator("table.freshness").inner_text()
        assert axe(page) == []
        page.screenshot(path=str(artifacts / f"admin-freshness-{viewport}.png"), full_page=True)
        context.close()
        assert errors == []
