"""The administrators' queue: credential claims to verify or reject, consumer reports to resolve."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.sync import index_pending
from registry import listings, vocabulary
from registry.db import now
from registry.models import REPORT_KINDS, Clinic, CredentialClaim, ListingReport

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def store():
    return current_app.extensions["store"]


@bp.get("/")
@admin_required
def queue():
    with Session(store()) as db:
        claims = db.scalars(
            select(CredentialClaim).where(CredentialClaim.status == "pending").order_by(CredentialClaim.id)
        ).all()
        reports = db.scalars(
            select(ListingReport).where(ListingReport.status == "open").order_by(ListingReport.id)
        ).all()
        names = {
            c.id: c.record["name"]
            for c in db.scalars(
                select(Clinic).where(Clinic.id.in_({x.clinic_id for x in [*claims, *reports]}))
            )
        }
    return render_template(
        "admin/queue.html",
        claims=claims,
        reports=reports,
        names=names,
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
    index_pending(store(), current_app.extensions["elasticsearch"], current_app.config["SETTINGS"].index)
    flash(f"Credential {status}.")
    return redirect(url_for("admin.queue"))


@bp.post("/reports/<int:report_id>/resolve")
@admin_required
def resolve_report(report_id: int):
    with Session(store()) as db:
        report = db.get(ListingReport, report_id)
        if report is None:
            abort(404)
        report.status, report.resolved_by, report.resolved_at = "resolved", current_user.email, now()
        db.commit()
    flash("Report resolved.")
    return redirect(url_for("admin.queue"))
