"""The two-way loop in a real browser: a consumer requests a consultation, the clinic sees it in
its inbox and mail and marks it completed, the consumer's invitation arrives, their review is
published as a verified visit within two seconds (profile, aggregates, search), the clinic
responds, the consumer edits it. Every page of the walk runs under the site's Content-Security-Policy,
as visitors get it. Screenshots (desktop and phone) go to test-artifacts/."""

import re
import time
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def enforced(browser, viewport: dict, violations: list):
    """A page under the site's Content-Security-Policy; what the browser refuses goes to `violations`."""
    page = browser.new_context(**{**viewport, "bypass_csp": False}).new_page()
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: violations.append(str(error)))
    return page


def test_request_visit_review_respond_edit_in_the_browser(
    clinic_app, browser, serve_app, no_tiles, h, mail, viewports, artifacts, axe
):
    clinic_app.config["TILE_URL"] = no_tiles

    def shoot(page, name: str) -> None:
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)

    h.sign_up(clinic_app, "good-3", "desk@cypress.test")
    slug = clinic_app.test_client().get("/api/v1/providers/good-3").get_json()["slug"]
    before = clinic_app.test_client().get("/api/v1/providers/good-3/reviews/summary").get_json()["rating"]
    violations = []
    with serve_app(clinic_app) as base:
        consumer = enforced(browser, viewports["desktop"], violations)
        consumer.goto(f"{base}/providers/{slug}")
        consumer.get_by_text("Request a consultation").first.click()
        consumer.get_by_label("Your name").fill("Jordan Lee")
        consumer.get_by_label("Email address").fill("jordan@mail.example")
        consumer.get_by_label("Treatment you are interested in").select_option("microneedling")
        consumer.get_by_role("checkbox", name="Saturday").check()
        consumer.get_by_role("checkbox", name="Morning").check()
        consumer.get_by_label("Message (optional)").fill("Acne scars on my cheeks.")
        consumer.get_by_role("button", name="Send request").click()
        error = consumer.locator(".error-summary a").first
        assert error.inner_text().startswith("Tick the box"), "consent is required"
        error.click()
        assert consumer.evaluate("document.activeElement.name") == "consent", (
            "the link moves focus to the box"
        )
        consumer.get_by_role("checkbox", name=re.compile("may contact me")).check()
        consumer.get_by_role("button", name="Send request").click()
        consumer.wait_for_url(re.compile(r"/consultations/"))
        assert "New" in consumer.locator(".state").inner_text()
        shoot(consumer, "request-status-desktop")

        clinic = enforced(browser, viewports["desktop"], violations)
        h.sign_in_page(clinic, base, "desk@cypress.test")
        clinic.wait_for_url(re.compile(r"/clinic/$"))
        assert "1 new request" in " ".join(clinic.locator(".tiles").inner_text().split())
        shoot(clinic, "clinic-dashboard-desktop")
        [message] = mail.to("desk@cypress.test")
        assert "Jordan Lee" in message.body
        clinic.get_by_role("link", name="Inbox").first.click()
        card = clinic.locator("article.request").first
        assert "Jordan Lee" in card.inner_text() and "Saturday · morning" in card.inner_text()
        shoot(clinic, "clinic-inbox-desktop")
        card.get_by_label("Move to").select_option("completed")
        card.get_by_role("button", name="Update").click()
        clinic.wait_for_selector("text=We emailed them an invitation")

        invitation = mail.link("jordan@mail.example", "How was your visit")
        consumer.goto(base + invitation)
        assert consumer.get_by_label("Name to show (optional)").input_value() == "Jordan"
        consumer.get_by_label("5 stars (excellent)").check()
        consumer.get_by_label("Title (optional)").fill("Calm, careful, clear results")
        consumer.get_by_label("Your review").fill(
            "Three sessions, explained step by step; scars visibly softer after two months."
        )
        shoot(consumer, "review-invitation-desktop")
        consumer.get_by_role("button", name="Publish my review").click()
        published_at = time.monotonic()
        consumer.wait_for_selector("text=Your review is published")
        consumer.get_by_role("link", name=re.compile("profile")).click()
        review = consumer.locator("article.review", has_text="Calm, careful, clear results")
        mark = review.locator(".kind")
        assert (
            mark.inner_text() == "✓ Verified visit" and mark.get_attribute("href") == "/how-we-verify#reviews"
        )
        summary = consumer.locator(".rating-summary").inner_text()
        assert f"from {before['count'] + 1} reviews" in summary and "1 verified visit (33%)" in summary
        search = clinic_app.test_client().get("/api/v1/providers?q=Cypress&limit=50").get_json()
        [hit] = [r for r in search["results"] if r["id"] == "good-3"]
        assert time.monotonic() - published_at < 2
        assert hit["rating"]["count"] == before["count"] + 1 and hit["rating"]["verified_count"] == 1

        clinic.goto(f"{base}/clinic/reviews")
        clinic.get_by_label("Your public response").first.fill("Thank you, Jordan. See you for session four.")
        shoot(clinic, "clinic-reviews-desktop")
        clinic.get_by_role("button", name="Publish response").first.click()
        clinic.wait_for_selector("text=Your response is published")
        clinic.get_by_text("Flag for our team").first.click()
        clinic.get_by_label("Which rule does it break?").first.select_option("conflict-of-interest")
        clinic.get_by_label("What is wrong?").first.fill(
            "Checking a rumour that this is a staff member's relative."
        )
        clinic.get_by_role("button", name="Send flag").first.click()
        clinic.wait_for_selector("text=it stays published meanwhile")

        h.sign_up(clinic_app, None, "admin@directory.test")
        admin = enforced(browser, viewports["desktop"], violations)
        h.sign_in_page(admin, base, "admin@directory.test")
        admin.get_by_role("link", name="Review queue").click()
        item = admin.locator("article.queue-item")
        assert "staff member's relative" in item.inner_text() and "★" not in item.inner_text()
        shoot(admin, "admin-review-queue-desktop")
        item.get_by_role("button", name="Keep published").click()
        admin.wait_for_selector("text=Nothing waiting")
        admin.context.close()

        edit = mail.link("jordan@mail.example", "is published")
        consumer.goto(base + edit)
        consumer.get_by_label("4 stars (very good)").check()
        consumer.get_by_label("Your review").fill(
            "Three sessions, explained step by step; scars softer. One bruise lasted a week."
        )
        consumer.get_by_role("button", name="Save changes").click()
        consumer.wait_for_url(re.compile(rf"/providers/{slug}"))
        review = consumer.locator("article.review", has_text="Calm, careful, clear results")
        assert "One bruise" in review.inner_text() and "edited" in review.inner_text()
        assert "See you for session four." in review.locator(".response").inner_text()
        assert review.locator(".stars").get_attribute("aria-label") == "4 out of 5 stars"
        consumer.locator("#reviews").scroll_into_view_if_needed()
        shoot(consumer, "profile-reviews-desktop")
        assert axe(consumer) == []

        small = enforced(browser, viewports["phone"], violations)
        phone = small.context
        phone.add_cookies(clinic.context.cookies())
        for path, name in [
            (f"/providers/{slug}", "profile-reviews-phone"),
            (f"/providers/{slug}/consultation", "request-form-phone"),
            (f"/providers/{slug}/review", "review-form-phone"),
            ("/clinic/", "clinic-dashboard-phone"),
            ("/clinic/inbox", "clinic-inbox-phone"),
            ("/review-policy", "review-policy-phone"),
        ]:
            small.goto(base + path)
            assert fits(small), f"{path} is wider than the phone"
            shoot(small, name)
        small.goto(f"{base}/providers/{slug}/review")
        small.get_by_role("button", name="Send my review").click()
        assert small.locator(".error-summary li").count() == 3  # rating, review, email
        shoot(small, "review-form-errors-phone")
        assert axe(small) == []
        phone.close()
        consumer.context.close()
        clinic.context.close()
    assert urlparse(edit).path.startswith("/reviews/edit/")
    assert violations == []
