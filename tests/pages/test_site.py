"""Error pages, the favicon and app icons, and the "How we verify" page every badge links to."""

import re

import pytest
from flask import abort

from directory import create_app


@pytest.fixture
def web(directory_app):
    return directory_app.test_client()


def assert_site_page(html: str) -> None:
    """The page has the site's header and navigation, a search box and the stylesheet."""
    assert '<header class="site">' in html and 'aria-label="Main"' in html
    assert re.search(r'href="/search"[^>]*>Find a provider</a>', html)
    assert '<form class="search" action="/search"' in html and 'name="location"' in html
    assert "/static/site.css" in html


def test_404_is_a_styled_page_with_navigation_and_a_search_box(web):
    """Defect 9: 404 and 500 pages were unstyled text with no header, navigation or search box."""
    resp = web.get("/no-such-page")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404
    assert_site_page(html)
    assert "We can’t find that page" in html
    assert "requested URL was not found on the server" not in html  # werkzeug's developer text


def test_500_is_a_styled_page_and_shows_no_trace(directory_settings):
    app = create_app({"SETTINGS": directory_settings, "TESTING": True})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret stack detail")

    @app.get("/gone")
    def gone():
        abort(410)

    resp = app.test_client().get("/boom")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert_site_page(html)
    assert "Something went wrong on our side" in html and "secret stack detail" not in html
    assert "This link no longer works" in app.test_client().get("/gone").get_data(as_text=True)


def test_an_error_page_still_answers_when_the_page_itself_cannot_be_drawn(directory_settings):
    app = create_app({"SETTINGS": directory_settings, "TESTING": True})

    @app.get("/boom")
    def boom():
        raise RuntimeError("first failure")

    @app.context_processor
    def broken():  # e.g. the store is down, so the signed-in account cannot be loaded
        raise RuntimeError("second failure")

    resp = app.test_client().get("/boom")
    assert resp.status_code == 500
    assert "Something went wrong on our side" in resp.get_data(as_text=True)


def test_an_expired_form_is_explained_in_plain_words(directory_settings):
    app = create_app({"SETTINGS": directory_settings})  # CSRF is checked outside TESTING too
    resp = app.test_client().post("/clinic/login", data={"email": "x@y.test", "password": "p"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "This form has expired" in html and "CSRF" not in html


def test_favicon_and_app_icons_are_served(web):
    """Defect 9: /favicon.ico was 404 on every page."""
    icon = web.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    html = web.get("/").get_data(as_text=True)
    for href in re.findall(r'<link rel="(?:icon|apple-touch-icon|manifest)" href="([^"]+)"', html):
        assert web.get(href).status_code == 200, href
    manifest = web.get("/static/site.webmanifest").get_json()
    for entry in manifest["icons"]:
        assert web.get(entry["src"]).status_code == 200


def test_how_we_verify_explains_credentials_expiry_reviews_and_reports(web):
    html = web.get("/how-we-verify").get_data(as_text=True)
    for anchor in ("credentials", "expiry", "reviews", "report"):
        assert f'id="{anchor}"' in html
    assert "Board-certified dermatologist" in html and "American Board of Dermatology" in html


def test_every_badge_links_to_how_we_verify(web):
    pages = [
        web.get("/search?location=Charlotte, NC&qualified=true").get_data(as_text=True),
        web.get("/providers/the-pure-aesthetics-charlotte--charlotte-nc-001").get_data(as_text=True),
    ]
    for html in pages:
        badges = re.findall(r'<(\w+) class="badge"( href="[^"]*")?', html)
        assert badges and set(badges) == {("a", ' href="/how-we-verify#credentials"')}
    # A partner feed's own "verified" flag is not a verified visit (written through our invitation
    # after a completed visit): such reviews show their source, never the mark. The mark itself
    # links to the explanation (tests/clinic/test_reviews_browser.py, on a real verified visit).
    found = web.get("/api/v1/providers?location=Charlotte, NC&min_reviews=5&limit=1").get_json()
    [reviewed] = found["results"]
    html = web.get(f"/providers/{reviewed['slug']}").get_data(as_text=True)
    assert "From a partner site" in html and "✓ Verified visit" not in html
