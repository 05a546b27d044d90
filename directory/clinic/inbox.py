"""The clinic's inbox of consultation requests (`/clinic/inbox`): read them, move them on.
Completing a request mails the consumer their one-time invitation to review the visit."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from directory.clinic.access import admin_args, bp, target_clinic
from directory.clinic.mailings import public_url
from directory.context import store
from directory.notices import send
from registry import consultations, listings, vocabulary
from registry.consultations import STATES
from registry.messages import DAY_NAMES
from registry.submissions import TIMES


@bp.get("/clinic/inbox")
@login_required
def inbox():
    clinic_id = target_clinic()
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        abort(404)
    record = listings.get(store(), clinic_id)
    if record is None:
        abort(404)
    return render_template(
        "requests/inbox.html",
        clinic_id=clinic_id,
        name=record.record["name"],
        requests=consultations.inbox(store(), clinic_id, state),
        counts=consultations.counts(store(), clinic_id),
        state=state,
        states=STATES,
        next_states=consultations.next_states,
        treatments=vocabulary.treatments(),
        day_names=DAY_NAMES,
        times=TIMES,
        as_admin=current_user.is_admin,
    )


@bp.post("/clinic/inbox/<int:request_id>")
@login_required
def move_request(request_id: int):
    """Move a request to the chosen state; another clinic's request is not there (404)."""
    if consultations.get(store(), request_id, current_user) is None:
        abort(404)
    moved = consultations.move(store(), request_id, request.form.get("state", ""), current_user)
    if moved is None:
        flash("That step is not possible from the request's current state.", "error")
        return redirect(url_for("clinic.inbox", **admin_args(request.form.get("clinic") or "")))
    req = moved.request
    record = listings.get(store(), req.clinic_id).record
    message = f"Request from {req.name or 'a consumer'} marked {STATES[req.state].lower()}."
    if moved.invitation_token:
        invite_url = public_url("reviews.invited", token=moved.invitation_token)
        if send(req.email, "review_invitation", clinic=record, req=req, invite_url=invite_url):
            message += " We emailed them an invitation to review their visit."
    elif req.state == "declined":
        send(req.email, "request_declined", clinic=record, req=req)
    flash(message)
    return redirect(url_for("clinic.inbox", **admin_args(req.clinic_id)) + f"#request-{req.id}")
