"""The administrators' pages: the queue (credential claims to verify or reject, consumer reports
to resolve, new photos to look over), past decisions, and invitations from the web."""

from __future__ import annotations

from datetime import date
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError, validate

from directory.clinic.accounts import set_password_url
from directory.clinic.mailings import send_claim_decision, send_invitation
from directory.context import es, index_changes, settings, store
from directory.search.freshness import expiring_credentials, freshness_report
from registry import accounts, listings, moderation, photos, provenance, vocabulary
from registry.derive import id_from_slug
from registry.models import REPORT_KINDS, ROLES

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
    """Claims, reports and listings that search refused, a page of each (?claims_page=2 ...)."""
    pages = {k: request.args.get(k, 1, type=int) for k in ("claims_page", "reports_page", "refused_page")}
    found = moderation.queue(store(), pages["claims_page"], pages["reports_page"])
    refused = moderation.refusals(store(), pages["refused_page"])
    newest = photos.recent(store())
    others = {p.clinic_id for p in newest} | {r.clinic_id for r in refused.items}
    return render_template(
        "admin/queue.html",
        claims=found.claims,
        reports=found.reports,
        photos=newest,
        refused=refused,
        names={**listings.names(store(), others), **found.names},
        kinds=REPORT_KINDS,
    )


@bp.get("/freshness")
@admin_required
def freshness():
    """How fresh listings are per metro, and the verified credentials expiring within 30 days."""
    today = date.today()
    return render_template(
        "admin/freshness.html",
        report=freshness_report(es(), settings().index, today),
        expiring=expiring_credentials(es(), settings().index, today),
        labels=provenance.LABELS,
        max_age_days=settings().facts_max_age_days,
    )


@bp.get("/history")
@admin_required
def history():
    """Past decisions: claims verified or rejected, reports resolved, photos hidden."""
    found = moderation.decisions(store())
    hidden = photos.hidden(store())
    return render_template(
        "admin/history.html",
        decisions=found,
        hidden=hidden,
        names={**listings.names(store(), {p.clinic_id for p in hidden}), **found.names},
        kinds=REPORT_KINDS,
    )


@bp.post("/photos/<int:photo_id>/hide")
@admin_required
def hide_photo(photo_id: int):
    """Take a photo off the public pages; the clinic sees the reason on its photos page."""
    reason = request.form.get("reason", "").strip()[:500]
    if not reason:
        flash("Give a reason for hiding the photo: the clinic will see it.", "error")
        return redirect(back_to("admin.queue"))
    if photos.hide(store(), photo_id, reason, current_user.email) is None:
        abort(404)
    flash("Photo hidden. The clinic sees your reason on its photos page.")
    return redirect(back_to("admin.queue"))


@bp.post("/photos/<int:photo_id>/show")
@admin_required
def show_photo(photo_id: int):
    if photos.show(store(), photo_id, current_user.email) is None:
        abort(404)
    flash("Photo shown again.")
    return redirect(back_to("admin.history"))


def back_to(endpoint: str) -> str:
    """The page the form was on (this site's only), else `endpoint`."""
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else url_for(endpoint)


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
    refused = index_changes() == "refused"
    claim = moderation.claim(store(), claim_id)
    send_claim_decision(
        accounts.emails_of(store(), claim.clinic_id),
        vocabulary.certifications().get(claim.code, {}).get("name", claim.code),
        status == "verified",
        claim.reason,
    )
    if refused:
        flash(f"Credential {status}, but search refused the listing: see below.", "error")
    else:
        flash(f"Credential {status}.")
    return redirect(url_for("admin.queue"))


@bp.post("/reports/<int:report_id>/resolve")
@admin_required
def resolve_report(report_id: int):
    if not moderation.resolve_report(store(), report_id, current_user.email):
        abort(404)
    flash("Report resolved.")
    return redirect(url_for("admin.queue"))


@bp.route("/invite", methods=["GET", "POST"])
@admin_required
def invite():
    """Invite a clinic's staff member or an administrator: an email with a link to set a password."""
    form = {"email": "", "role": "clinic", "clinic": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in form}
        errors = invitation_problems(form)
        if not errors:
            clinic_id = listing_id(form["clinic"]) if form["role"] == "clinic" else None
            try:
                token = accounts.invite(store(), form["email"], form["role"], clinic_id)
            except accounts.AccountError:
                errors["email"] = "This email address already has an account for another clinic or role."
            else:
                link = set_password_url(token)
                if send_invitation(form["email"], link, clinic_id):
                    flash(f"Invitation sent to {form['email']}.")
                else:
                    flash(
                        f"The email could not be sent. Give {form['email']} this link yourself: {link}",
                        "error",
                    )
                return redirect(url_for("admin.invite"))
    return render_template("admin/invite.html", form=form, errors=errors), 400 if errors else 200


def invitation_problems(form: dict) -> dict[str, str]:
    errors = {}
    try:
        validate.Email()(form["email"])
    except ValidationError:
        errors["email"] = "Enter an email address like name@clinic.com."
    if form["role"] not in ROLES:
        errors["role"] = "Choose whether they manage a clinic or administer the directory."
    elif form["role"] == "clinic":
        clinic_id = listing_id(form["clinic"])
        if not clinic_id or not listings.exists(store(), clinic_id):
            errors["clinic"] = "Enter the clinic's public page address or listing id, like charlotte-nc-001."
    return errors


def listing_id(text: str) -> str:
    """A listing id from an id, or from a public page's address (…/providers/<slug>)."""
    path = urlsplit(text).path.rstrip("/") if "/" in text else text
    return id_from_slug(path.rsplit("/", 1)[-1]) if path else ""
