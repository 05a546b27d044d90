"""The clinic's path in a real browser: invitation link -> password -> sign in -> edit -> search."""

import re
import time
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser


def test_invited_clinic_edits_its_listing_in_the_browser_and_search_has_it(
    clinic_app, browser, serve_app, no_tiles, h
):
    clinic_app.config["TILE_URL"] = no_tiles
    link = h.invite(clinic_app, "good-7", "frontdesk@clinic.test")
    with serve_app(clinic_app) as base:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(base + urlparse(link).path)
        page.get_by_label("New password").fill(h.password)
        page.get_by_label("Repeat it").fill(h.password)
        page.get_by_role("button", name="Set password").click()
        page.wait_for_url(re.compile(r"/clinic/listing"))

        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("Email").fill("frontdesk@clinic.test")
        page.get_by_label("Password").fill(h.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/clinic/listing"))

        page.get_by_label("Clinic name").fill("Moonlit Collagen Studio")
        page.get_by_label("Fri").fill("09:00-12:00, 13:00-19:30")
        page.get_by_role("checkbox", name="Radiofrequency microneedling").check()
        page.get_by_role("button", name="Save listing").click()
        saved_at = time.monotonic()
        page.wait_for_selector("text=Saved.")

        api = (
            clinic_app.test_client().get("/api/v1/providers?q=Moonlit&treatment=rf-microneedling").get_json()
        )
        assert time.monotonic() - saved_at < 2
        [hit] = [r for r in api["results"] if r["id"] == "good-7"]
        assert hit["name"] == "Moonlit Collagen Studio"
        assert hit["hours"]["fri"] == ["09:00-12:00", "13:00-19:30"]

        page.get_by_label("Website").fill("not a web address")
        page.get_by_role("button", name="Save listing").click()
        error = page.locator(".field-error").first.inner_text()
        assert error.startswith("Enter the website as a web address")
        assert page.get_by_label("Website").input_value() == "not a web address"


def test_dragging_the_pin_sets_the_saved_location(clinic_app, browser, serve_app, no_tiles, h):
    clinic_app.config["TILE_URL"] = no_tiles
    h.sign_up(clinic_app, "good-8", "pin@clinic.test")
    with serve_app(clinic_app) as base:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(base + "/clinic/login")
        page.get_by_label("Email").fill("pin@clinic.test")
        page.get_by_label("Password").fill(h.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/clinic/listing"))
        before = float(page.locator("input[name='location.lat']").input_value())
        pin = page.locator(".leaflet-marker-icon")
        pin.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('.leaflet-marker-icon').complete")
        box = pin.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] + 60, steps=6)
        page.mouse.up()
        after = float(page.locator("input[name='location.lat']").input_value())
        assert after < before, "dragging down moves the pin south"
        page.get_by_role("button", name="Save listing").click()
        page.wait_for_selector("text=Saved.")
        doc = clinic_app.test_client().get("/api/v1/providers/good-8").get_json()
        assert abs(doc["location"]["lat"] - after) < 1e-5
