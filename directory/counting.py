"""The dashboard's daily counters in the web app: one in-memory tally per process
(`registry.counters.Tally`), written to the store by a background thread every
COUNTER_FLUSH_INTERVAL seconds and when the process exits; and the contact-click beacon."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app

from directory.background import every
from directory.context import store
from registry import listings
from registry.counters import Tally
from registry.derive import id_from_slug

FLUSH_INTERVAL = 10.0

bp = Blueprint("counting", __name__)


def tally() -> Tally:
    return current_app.extensions["tally"]


def count(clinic_id: str, kind: str) -> None:
    """Count one `kind` (see registry.counters.KINDS) for a listing today; no database write."""
    tally().add(clinic_id, kind)


@bp.post("/providers/<slug>/contact")
def contact_click(slug: str):
    """The profile's script reports a click on the phone, website or email link (a beacon)."""
    clinic_id = id_from_slug(slug)
    if not listings.exists(store(), clinic_id):
        abort(404)
    count(clinic_id, "contact")
    return "", 204


def init_app(app: Flask) -> None:
    app.extensions["tally"] = Tally()
    app.register_blueprint(bp)
    if app.config.get("COUNTER_WORKER", not app.testing):
        interval = app.config.get("COUNTER_FLUSH_INTERVAL", FLUSH_INTERVAL)
        flush = lambda: app.extensions["tally"].flush(app.extensions["store"])  # noqa: E731
        every(app, "counters", interval, flush, at_exit=True)
