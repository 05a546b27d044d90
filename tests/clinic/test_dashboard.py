"""The clinic's dashboard: new requests, reviews awaiting a response, and daily counts that cost
no database write per page view."""

import re

from sqlalchemy import event

from registry import counters


def test_the_dashboard_counts_views_clicks_and_requests_without_a_write_per_view(clinic_app, clinic_a, h):
    visitor = clinic_app.test_client()
    slug = visitor.get("/api/v1/providers/good-1").get_json()["slug"]
    engine = clinic_app.extensions["store"]
    writes = []

    def listener(_conn, _cursor, statement, *_):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        for _ in range(7):
            page = visitor.get(f"/providers/{slug}").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert [w for w in writes if "daily_counts" in w] == [], "views are counted in memory"
    token = h.csrf(page)
    assert 'data-contact-beacon="/providers/' in page
    assert visitor.post(f"/providers/{slug}/contact", data={"csrf_token": token}).status_code == 204
    visitor.post(
        f"/providers/{slug}/consultation",
        data={"csrf_token": token, "name": "Lee", "phone": "919 555 0100", "consent": "true"},
    )

    dashboard = clinic_a.get("/clinic/").get_data(as_text=True)
    today = re.search(
        r"<tr><th scope=\"row\"><time[^>]*>[^<]*</time></th>\s*((?:<td class=\"n\">\d+</td>\s*){3})",
        dashboard,
    )
    assert re.findall(r"\d+", today.group(1)) == ["7", "1", "1"]
    assert re.search(r'<span class="number">1</span> new request', dashboard)
    assert "Lee" in dashboard

    assert clinic_app.extensions["tally"].flush(engine) == 3
    stored = counters.daily(engine, "good-1", 1)[0]
    assert (stored["view"], stored["contact"], stored["request"]) == (7, 1, 1)
    assert clinic_a.get("/clinic/").get_data(as_text=True).count('<td class="n">7</td>') == 2, "day and total"


def test_a_clinic_lands_on_its_dashboard_and_an_admin_names_one(clinic_app, clinic_a, h):
    admin = h.sign_up(clinic_app, None, "admin@directory.test")
    assert "Bright Skin Lab" in clinic_a.get("/clinic/").get_data(as_text=True)
    assert admin.get("/clinic/").headers["Location"].endswith("/admin/")
    assert "Bright Skin Lab" in admin.get("/clinic/?clinic=good-1").get_data(as_text=True)
    assert admin.get("/clinic/?clinic=nobody").status_code == 404
