"""Forged input answers 4xx, never 500: paging cursors, redirect parameters, huge integers in URLs
and forms (finding 8 of issue 12)."""

import base64
import json

import pytest


def forged(cursor: str, after) -> str:
    """`cursor` with its sort values replaced; the query digest stays, so it passes as this query's."""
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw = json.dumps({"after": after, "q": data["q"]}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "after",
    [
        [],
        [1.0],
        [1.0, "a", "b", "c", "d", "e"],
        None,
        {"a": 1},
        [{"x": 1}, "id"],
        [[1], "id"],
        ["text", 5],
        [10**30, "id"],
        [True, "id"],
        ["x" * 5000, "id"],
    ],
)
def test_a_forged_cursor_is_a_bad_request(clinic_app, after):
    web = clinic_app.test_client()
    query = "location=Charlotte, NC&radius=100mi&limit=1&sort=distance"
    first = web.get(f"/api/v1/providers?{query}").get_json()
    assert first["next_cursor"]
    bad = forged(first["next_cursor"], after)
    api = web.get(f"/api/v1/providers?{query}&cursor={bad}")
    assert api.status_code == 400 and api.get_json()["errors"][0]["parameter"] == "cursor"
    page = web.get(f"/search?{query}&cursor={bad}")
    assert page.status_code == 400
    assert "first page" in page.get_data(as_text=True) or len(bad) > 500  # too long: a parameter error


@pytest.mark.parametrize(
    "extra", ["slug=x", "endpoint=x", "_method=POST", "_scheme=javascript", "_anchor=x", "_external=1"]
)
def test_an_old_profile_address_redirects_with_its_query_and_nothing_else(clinic_app, extra):
    web = clinic_app.test_client()
    current = web.get("/api/v1/providers/good-1").get_json()["url"].rsplit("/", 1)[1]
    resp = web.get(f"/providers/an-old-name--good-1?review_page=2&{extra}")
    assert resp.status_code == 301
    location = resp.headers["Location"]
    assert location.startswith(f"/providers/{current}?") and "review_page=2" in location
    assert "javascript" not in location.split("?")[0] and "#" not in location


def test_integers_beyond_any_id_are_not_found(clinic_app, h):
    admin = h.sign_up(clinic_app, None, "admin@directory.test")
    token = h.csrf(admin.get("/clinic/listing?clinic=good-1").get_data(as_text=True))
    huge = str(2**63)
    assert clinic_app.test_client().get(f"/sitemaps/providers-{huge}.xml").status_code == 404
    for path in (
        f"/clinic/photos/{huge}?clinic=good-1",
        f"/admin/claims/{huge}",
        f"/admin/reports/{huge}/resolve",
    ):
        assert admin.post(path, data={"csrf_token": token, "decision": "verify"}).status_code == 404


def test_a_huge_photo_position_is_ignored(clinic_app, clinic_a, h):
    import io

    from PIL import Image

    page = clinic_a.get("/clinic/photos").get_data(as_text=True)
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(image, "PNG")
    upload = {"csrf_token": h.csrf(page), "consent": "1", "photo": (io.BytesIO(image.getvalue()), "a.png")}
    assert clinic_a.post("/clinic/photos", data=upload).status_code == 302
    from registry import photos

    [photo] = photos.of_clinic(clinic_app.extensions["store"], "good-1")
    resp = clinic_a.post(
        f"/clinic/photos/{photo.id}", data={"csrf_token": h.csrf(page), "position": str(2**64)}
    )
    assert resp.status_code == 302
