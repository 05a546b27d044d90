"""The administrators' review queue (`/admin/reviews`): reviews held by the automatic checks and
reviews their clinics flagged. Every review gets the same two actions, publish or remove with a
reason from the policy, and the queue never shows the rating (registry.review_moderation)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from directory.clinic.admin import admin_required, bp
from directory.clinic.mailings import public_url
from directory.context import index_changes, store
from directory.notices import send
from registry import review_moderation, vocabulary
from registry.policy import CHECK_REASONS, REMOVAL_REASONS, reason_label


@bp.get("/reviews")
@admin_required
def review_queue():
    return render_template(
        "reviews/queue.html",
        items=review_moderation.queue(store()),
        removal=REMOVAL_REASONS,
        checks=CHECK_REASONS,
        flag_label=reason_label,
        treatments=vocabulary.treatments(),
    )


@bp.post("/reviews/<int:key>")
@admin_required
def decide_review(key: int):
    action, reason = request.form.get("action", ""), request.form.get("reason", "")
    if action not in ("publish", "remove") or (action == "remove" and reason not in REMOVAL_REASONS):
        flash("Choose publish, or remove with the policy's reason.", "error")
        return redirect(url_for("admin.review_queue"))
    review = review_moderation.decide(store(), key, action, reason, current_user.email)
    if review is None:
        abort(404)
    index_changes()
    if action == "remove":
        send(
            review.email,
            "review_removed",
            reason=REMOVAL_REASONS[reason],
            policy_url=public_url("reviews.policy"),
        )
        flash(f"Review removed ({REMOVAL_REASONS[reason][0]}).")
    else:
        flash("Review published.")
    return redirect(url_for("admin.review_queue"))
