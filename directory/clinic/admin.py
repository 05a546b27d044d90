"""The administrators' queue: credential claims to verify or reject, consumer reports to resolve."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from directory.context import index_changes, store
from registry import listings, moderation, vocabulary
from registry.models import REPORT_KINDS

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/")
@admin_required
def queue():
    found = moderation.queue(store())
    return render_template(
        "admin/queue.html",
        claims=found.claims,
        reports=found.reports,
        names=found.names,
        certifications=vocabulary.certifications(),
        kinds=REPORT_KINDS,
    )


@bp.post("/claims/<int:claim_id>")
@admin_required
def decide_claim(claim_id: int):
    """Verify a claimed credential (it becomes valid in search) or reject it with a reason."""
    decision, reason = request.form.get("decision"), request.form.get("reason", "").strip()
    if decision not in ("verify", "reject") or (decision == "reject" and not reason):
        flash("Choose verify, or reject with a reason the clinic will see.", "error")
        return redirect(url_for("admin.queue"))
    status = listings.decide_claim(store(), claim_id, decision, reason, current_user.email)
    if status is None:
        abort(404)
    index_changes()
    flash(f"Credential {status}.")
    return redirect(url_for("admin.queue"))


@bp.post("/reports/<int:report_id>/resolve")
@admin_required
def resolve_report(report_id: int):
    if not moderation.resolve_report(store(), report_id, current_user.email):
        abort(404)
    flash("Report resolved.")
    return redirect(url_for("admin.queue"))
