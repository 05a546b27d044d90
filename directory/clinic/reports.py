"""Consumers' "report a problem with this listing": into the administrators' queue."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from directory.clinic.access import bp
from directory.context import store
from directory.ratelimit import allowed
from registry import listings, moderation
from registry.derive import id_from_slug
from registry.models import REPORT_KINDS

REPORT_LIMIT = "10 per hour"


@bp.post("/providers/<slug>/report")
def report(slug: str):
    """ "Report a problem with this listing": lands in the administrators' queue."""
    clinic_id = id_from_slug(slug)
    kind = request.form.get("kind", "")
    message = request.form.get("message", "").strip()
    if not listings.exists(store(), clinic_id):
        abort(404)
    if kind not in REPORT_KINDS or not 5 <= len(message) <= 2000:
        flash(
            "Please choose what is wrong and describe it in a few words (up to 2,000 characters).",
            "report-error",  # shown beside the form, where the visitor is (not atop the page)
        )
        return redirect(url_for("pages.profile", slug=slug) + "#report")
    if not allowed(REPORT_LIMIT, "report", request.remote_addr or "?"):
        abort(429)
    contact = request.form.get("contact", "").strip()[:254] or None
    moderation.report(store(), clinic_id, kind, message, contact)
    flash("Thank you. Your report has reached our team, and we will look into it.", "report")
    return redirect(url_for("pages.profile", slug=slug) + "#report")
