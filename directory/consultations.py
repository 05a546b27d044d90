"""Consultation requests from consumers: the form (on every profile, and a page of its own that
result cards link to), and the status page a consumer reaches through the link mailed to them,
where they can withdraw the request or have their details erased."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for

from directory.clinic.mailings import public_url
from directory.consumers import allowed, client, is_bot, private
from directory.context import store
from directory.counting import count
from directory.notices import send
from registry import consultations, listings, vocabulary
from registry.consultations import STATES
from registry.derive import id_from_slug, profile_slug
from registry.messages import DAY_NAMES
from registry.schema import DAYS
from registry.submissions import TIMES, ConsultationRequestForm, load

bp = Blueprint("consultations", __name__)

FIELDS = ("name", "email", "phone", "treatment", "message", "consent")


def listing_or_404(slug: str) -> dict:
    found = listings.get(store(), id_from_slug(slug))
    if found is None:
        abort(404)
    return found.record


def form_context(
    name: str, slug: str, offered: list[str], values: dict | None = None, errors: dict | None = None
) -> dict:
    """What templates/requests/_form.html needs, on the profile or on its own page."""
    treatments = vocabulary.treatments()
    return {
        "clinic_name": name,
        "slug": slug,
        "values": values or {"days": [], "times": []},
        "errors": errors or {},
        "treatments": {code: treatments[code] for code in offered if code in treatments},
        "days": {day: DAY_NAMES[day] for day in DAYS},
        "times": TIMES,
    }


def consultation_form(detail: dict) -> dict:
    """The empty form on a profile (`detail` as `directory.listing.provider_detail` makes it)."""
    return form_context(detail["name"], detail["slug"], [t["code"] for t in detail["treatments"]])


def _page(record: dict, values: dict | None = None, errors: dict | None = None, status: int = 200):
    context = form_context(record["name"], profile_slug(record), record.get("treatments", []), values, errors)
    return render_template("requests/new.html", clinic=record, **context), status


@bp.route("/providers/<slug>/consultation", methods=["GET", "POST"])
def new(slug: str):
    """Ask a clinic for a consultation."""
    record = listing_or_404(slug)
    if request.method == "GET":
        return _page(record)
    values = {k: request.form.get(k, "") for k in FIELDS}
    values["days"], values["times"] = request.form.getlist("days"), request.form.getlist("times")
    if is_bot():
        return render_template("requests/sent.html", clinic=record, status_url=None)
    data, errors = load(ConsultationRequestForm(), {**values, "consent": values["consent"] or None})
    if errors:
        return _page(record, values, errors, 400)
    client_hash, _ = client()
    if not allowed("request"):
        errors = {
            "_form": "You have sent several requests in the last hour. Please wait a while and try again."
        }
        return _page(record, values, errors, 429)
    created = consultations.create(store(), record["id"], data, client_hash)
    count(record["id"], "request")
    status_url = public_url("consultations.status", token=created.status_token)
    req = created.request
    inbox_url = public_url("clinic.inbox")
    for staff in consultations.staff_emails(store(), record["id"]) or [record.get("email")]:
        send(
            staff,
            "request_to_clinic",
            clinic=record,
            req=req,
            inbox_url=inbox_url,
            treatments=vocabulary.treatments(),
            day_names=DAY_NAMES,
            times=TIMES,
        )
    send(req.email, "request_received", clinic=record, req=req, status_url=status_url)
    flash("Your request is on its way to the clinic.")
    return redirect(url_for("consultations.status", token=created.status_token))


@bp.get("/consultations/<token>")
def status(token: str):
    """A consumer's view of their request: its state, and what they can do about it."""
    req = consultations.by_token(store(), token)
    if req is None:
        return private(make_response(render_template("requests/status.html", req=None), 404))
    record = listings.get(store(), req.clinic_id).record
    page = render_template(
        "requests/status.html",
        req=req,
        clinic=record,
        slug=profile_slug(record),
        token=token,
        states=STATES,
        is_open=req.state in consultations.OPEN,
        treatments=vocabulary.treatments(),
    )
    return private(make_response(page))


@bp.post("/consultations/<token>/withdraw")
def withdraw(token: str):
    if consultations.withdraw(store(), token) is None:
        abort(404)
    flash("Your request is withdrawn. The clinic sees that you no longer need it.")
    return redirect(url_for("consultations.status", token=token))


@bp.post("/consultations/<token>/erase")
def erase(token: str):
    if consultations.erase_by_token(store(), token) is None:
        abort(404)
    flash("Your name, email address, phone number and message are erased.")
    return redirect(url_for("consultations.status", token=token))
