"""A live server on the session's fixture directory, and pages on a desktop and a phone."""

import pytest

from directory import create_app


@pytest.fixture(scope="session")
def live_server(directory_settings, serve_app, no_tiles):
    app = create_app({"SETTINGS": directory_settings, "TILE_URL": no_tiles, "RATELIMIT_ENABLED": False})
    with serve_app(app) as url:
        yield url


@pytest.fixture(params=["desktop", "phone"])
def page(request, browser, viewports):
    """A fresh page, once on a desktop-sized and once on a phone-sized window."""
    context = browser.new_context(**viewports[request.param])
    page = context.new_page()
    page.viewport_name = request.param
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors or dialogs: {errors}"


@pytest.fixture
def desktop(browser, viewports):
    context = browser.new_context(**viewports["desktop"])
    yield context.new_page()
    context.close()
