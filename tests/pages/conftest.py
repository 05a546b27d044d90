"""A live server on the session's fixture directory, viewports, axe-core."""

from pathlib import Path

import pytest

from directory import create_app

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def live_server(directory_settings, serve_app, no_tiles):
    app = create_app({"SETTINGS": directory_settings, "TILE_URL": no_tiles, "RATELIMIT_ENABLED": False})
    with serve_app(app) as url:
        yield url


VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}


@pytest.fixture(scope="session")
def viewports() -> dict:
    return VIEWPORTS


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots kept for people to look at (CI keeps test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(params=list(VIEWPORTS))
def page(request, browser):
    """A fresh page, once on a desktop-sized and once on a phone-sized window."""
    context = browser.new_context(**VIEWPORTS[request.param])
    page = context.new_page()
    page.viewport_name = request.param
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors or dialogs: {errors}"


@pytest.fixture
def desktop(browser):
    context = browser.new_context(**VIEWPORTS["desktop"])
    yield context.new_page()
    context.close()


@pytest.fixture
def axe():
    def check(page) -> list[dict]:
        """Serious or critical accessibility violations axe-core finds on the page."""
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    return check
