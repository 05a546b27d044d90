"""The clinic's path in a real browser, on a desktop and a phone: forgot password -> the link from
the mail -> edit hours with the time pickers -> search has it -> the readable history; errors that
say what to fix and take you to the field; the map pin."""

import re
import time
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser


def open_listing(page, base: str, email: str, h) -> None:
    """Sign in and open the listing form (clinics land on their dashboard first)."""
    h.sign_in_page(page, base, email)
    page.wait_for_url(re.compile(r"/clinic/$"))
    page.goto(base + "/clinic/listing")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_forgot_password_reset_edit_hours_and_read_the_history(
    clinic_app, browser, serve_app, no_tiles, h, viewports, viewport, axe, artifacts, mail
):
    clinic_app.config["TILE_URL"] = no_tiles
    email = f"frontdesk-{viewport}@clinic.test"
    h.invite(clinic_app, "good-7", email)  # invited, but never set a password
    with serve_app(clinic_app) as base:
        context = browser.new_context(**viewports[viewport])
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(base + "/clinic/login")
        page.get_by_role("link", name="Forgot your password?").click()
        assert axe(page) == []
        page.get_by_label("Email address").fill(email)
        page.get_by_role("button", name="Send me a link").click()
        assert "Check your email" in page.locator("h1").inner_text()
        [message] = mail.to(email)
        assert message.subject == "Reset your Provider Directory password"
        link = re.search(r"https?://\S+/clinic/set-password/\S+", message.body).group(0)
        page.goto(base + urlparse(link).path)
        assert axe(page) == []
        page.get_by_label("New password").fill(h.password)
        page.get_by_label("Repeat it").fill(h.password)
        page.get_by_role("button", name="Set password").click()
        page.wait_for_url(re.compile(r"/clinic/$"))  # the dashboard
        page.get_by_role("link", name="Listing", exact=True).click()
        page.wait_for_url(re.compile(r"/clinic/listing"))
        assert axe(page) == []
        if viewport == "desktop":
            page.screenshot(path=str(artifacts / "listing-form.png"), full_page=True)
        # Defect 11: the description box was monospace and checkboxes sat above their labels.
        assert "mono" not in page.get_by_label("Description").evaluate(
            "el => getComputedStyle(el).fontFamily"
        )
        for name in ("Radiofrequency microneedling", "Closed on Sunday"):
            box = page.get_by_role("checkbox", name=name).bounding_box()
            label = page.locator("label.check", has=page.get_by_role("checkbox", name=name)).bounding_box()
            assert label["y"] <= box["y"] and box["y"] + box["height"] <= label["y"] + 32, "on the first line"
            assert box["x"] - label["x"] < 4, "the box starts the line and its words follow it"

        # Sunday was closed: untick it and give it hours, by keyboard.
        sunday = page.locator("#f-hours-sun")
        sunday.get_by_label("Closed on Sunday").focus()
        page.keyboard.press("Space")
        assert sunday.get_by_label("Opens on Sunday", exact=True).is_visible()
        sunday.get_by_label("Opens on Sunday", exact=True).fill("10:00")
        sunday.get_by_label("Closes on Sunday", exact=True).fill("14:00")
        # Friday gets a lunch break: a second range.
        friday = page.locator("#f-hours-fri")
        friday.get_by_label("Opens on Friday", exact=True).fill("09:00")
        friday.get_by_label("Closes on Friday", exact=True).fill("12:00")
        friday.get_by_role("button", name="Add another range on Friday").click()
        assert page.evaluate("document.activeElement.name") == "hours.fri.1.open"
        friday.get_by_label("Opens on Friday (range 2)").fill("13:00")
        friday.get_by_label("Closes on Friday (range 2)").fill("19:30")
        page.get_by_label("Time zone").select_option("America/Chicago")
        page.get_by_role("button", name="Save listing").click()
        saved_at = time.monotonic()
        page.wait_for_selector("text=Saved.")
        hit = clinic_app.test_client().get("/api/v1/providers/good-7").get_json()
        assert time.monotonic() - saved_at < 2
        assert hit["hours"]["sun"] == ["10:00-14:00"]
        assert hit["hours"]["fri"] == ["09:00-12:00", "13:00-19:30"]
        assert hit["hours"]["timezone"] == "America/Chicago"

        page.get_by_role("link", name="Change history").click()
        entry = page.locator(".history-entry").first
        assert "Listing edited" in entry.inner_text()
        details = entry.locator("li").all_inner_texts()
        assert "Sunday hours: closed → 10 AM – 2 PM" in details
        assert any(
            d.startswith("Friday hours: ") and d.endswith("→ 9 AM – 12 PM, 1 PM – 7:30 PM") for d in details
        )
        assert "Time zone: Eastern Time → Central Time" in details
        assert axe(page) == []
        assert script_errors == []
        context.close()


def test_errors_say_what_to_fix_and_take_you_to_the_field(clinic_app, browser, serve_app, no_tiles, h, axe):
    """Defect 4: errors spoke developer ("hours.sun.0", "String does not match expected pattern"),
    the summary's link went nowhere and the field had no message or red border."""
    clinic_app.config["TILE_URL"] = no_tiles
    h.sign_up(clinic_app, "good-7", "errors@clinic.test")
    with serve_app(clinic_app) as base:
        page = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True).new_page()
        open_listing(page, base, "errors@clinic.test", h)
        page.get_by_label("Website").fill("not a web address")
        saturday = page.locator("#f-hours-sat")
        if saturday.get_by_label("Closed on Saturday").is_checked():
            saturday.get_by_label("Closed on Saturday").uncheck()
        saturday.get_by_label("Opens on Saturday", exact=True).fill("14:00")
        saturday.get_by_label("Closes on Saturday", exact=True).fill("10:00")
        page.get_by_label("From ($)").fill("300")
        page.get_by_label("To ($)").fill("100")
        page.get_by_role("button", name="Save listing").click()

        summary = page.locator(".error-summary")
        page.wait_for_function("document.activeElement.classList.contains('error-summary')")
        messages = summary.locator("li").all_inner_texts()
        assert len(messages) == 3
        for developer in ("hours.", "pattern", "price_range", "max is below min", "Not a valid"):
            assert not any(developer in m for m in messages), messages
        assert page.get_by_label("Website").input_value() == "not a web address"
        assert axe(page) == []

        summary.get_by_role("link", name=re.compile("Saturday")).click()
        assert page.evaluate("document.activeElement.name") == "hours.sat.0.open"
        assert saturday.locator(".field-error").is_visible()
        summary.get_by_role("link", name=re.compile("website|Website")).click()
        website = page.get_by_label("Website")
        assert page.evaluate("document.activeElement.name") == "website"
        assert website.get_attribute("aria-invalid") == "true"
        assert website.evaluate("el => getComputedStyle(el).borderTopColor") == "rgb(180, 35, 24)"
        inline = page.locator("#" + website.get_attribute("aria-describedby").split()[-1]).inner_text()
        assert inline.replace("Error:", "").strip() in messages


def test_dragging_the_pin_sets_the_saved_location(clinic_app, browser, serve_app, no_tiles, h):
    clinic_app.config["TILE_URL"] = no_tiles
    h.sign_up(clinic_app, "good-8", "pin@clinic.test")
    with serve_app(clinic_app) as base:
        page = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True).new_page()
        open_listing(page, base, "pin@clinic.test", h)
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
