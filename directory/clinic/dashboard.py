"""The clinic's dashboard (`/clinic/`): new consultation requests, reviews awaiting a response,
and the last two weeks' profile views, contact clicks and requests, day by day."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from directory.clinic.access import bp, target_clinic
from directory.context import store
from directory.counting import tally
from registry import consultations, consumer_reviews, counters, listings, vocabulary
from registry.derive import profile_slug, rating_summary

DAYS_SHOWN = 14


@bp.get("/clinic/")
@login_required
def home():
    if current_user.is_admin and not request.args.get("clinic"):
        return redirect(url_for("admin.queue"))
    clinic_id = target_clinic()
    found = listings.get(store(), clinic_id)
    if found is None:
        abort(404)
    days = counters.daily(store(), clinic_id, DAYS_SHOWN, tally())
    return render_template(
        "requests/dashboard.html",
        clinic_id=clinic_id,
        name=found.record["name"],
        slug=profile_slug(found.record),
        rating=rating_summary(found.ratings),
        counts=consultations.counts(store(), clinic_id),
        new_requests=consultations.inbox(store(), clinic_id, "new", limit=5),
        awaiting=consumer_reviews.awaiting_response(store(), clinic_id),
        days=days,
        totals={kind: sum(d[kind] for d in days) for kind in counters.KINDS},
        peak=max([d["view"] for d in days] + [1]),
        kinds=counters.KINDS,
        treatments=vocabulary.treatments(),
        as_admin=current_user.is_admin,
    )
