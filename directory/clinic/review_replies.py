"""A clinic's reviews (`/clinic/reviews`): one public response per review (editable), and a flag
that asks the administrators to check a review against the policy. A clinic never removes a
review; another clinic's review is not there for it (404)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from directory.clinic.access import admin_args, bp, target_clinic
from directory.context import store
from registry import consumer_reviews, listings
from registry.policy import FLAG_REASONS
from registry.submissions import FlagForm, ResponseForm, load


@bp.get("/clinic/reviews")
@login_required
def reviews_page():
    clinic_id = target_clinic()
    found = listings.get(store(), clinic_id)
    if found is None:
        abort(404)
    awaiting = request.args.get("show") != "all"
    return render_template(
        "reviews/clinic.html",
        clinic_id=clinic_id,
        name=found.record["name"],
        items=consumer_reviews.of_clinic(store(), clinic_id, awaiting_only=awaiting),
        awaiting=awaiting,
        flag_reasons=FLAG_REASONS,
        as_admin=current_user.is_admin,
        errors={},
    )


def _owned_or_404(key: int):
    review = consumer_reviews.owned(store(), key, current_user)
    if review is None:
        abort(404)
    return review


def _back(review) -> str:
    return url_for("clinic.reviews_page", show="all", **admin_args(review.clinic_id)) + f"#review-{review.id}"


@bp.post("/clinic/reviews/<int:key>/response")
@login_required
def respond(key: int):
    review = _owned_or_404(key)
    data, errors = load(ResponseForm(), {"response": request.form.get("response", "")})
    if errors:
        flash(errors["response"], "error")
    else:
        consumer_reviews.respond(store(), key, data["response"], current_user)
        flash("Your response is published under the review.")
    return redirect(_back(review))


@bp.post("/clinic/reviews/<int:key>/flag")
@login_required
def flag(key: int):
    review = _owned_or_404(key)
    data, errors = load(
        FlagForm(), {"reason": request.form.get("reason", ""), "note": request.form.get("note", "")}
    )
    if errors:
        flash(" ".join(errors.values()), "error")
    else:
        consumer_reviews.flag(store(), key, data["reason"], data["note"], current_user)
        flash("Thank you. Our team will check this review against the policy; it stays published meanwhile.")
    return redirect(_back(review))
