"""Consumers' reviews in the web app: writing one from a profile (published once the email address
is confirmed), writing a verified visit through an invitation, confirming, editing or deleting
through the author's link, "helpful" votes, and the published review policy."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from directory.clinic.mailings import public_url
from directory.clinic.photo_pages import photo_store
from directory.consumers import allowed, client, is_bot, private
from directory.context import index_changes, store
from directory.notices import send
from directory.photos import MAX_BYTES, PhotoError, process_upload
from registry import consumer_reviews, listings, vocabulary
from registry.consumer_reviews import Origin
from registry.derive import id_from_slug, profile_slug
from registry.messages import MESSAGES
from registry.policy import CHECK_REASONS, REMOVAL_REASONS
from registry.submissions import ConfirmedReviewForm, ReviewForm, load

bp = Blueprint("reviews", __name__)

FIELDS = ("rating", "title", "text", "author", "treatment", "visit_month", "email")
MAX_PHOTOS = 3
# The forms that take photos accept a body as large as their photos and the form around them;
# every other request stays under directory.safety's MAX_BODY.
PHOTO_FORMS = ("reviews.write", "reviews.invited")
PHOTO_FORM_LIMIT = MAX_PHOTOS * MAX_BYTES + 256 * 1024


def init_app(app: Flask) -> None:
    """The review pages, with their photo forms' own body limit (directory.safety)."""
    app.register_blueprint(bp)
    app.config.setdefault("UPLOAD_LIMITS", {}).update(dict.fromkeys(PHOTO_FORMS, PHOTO_FORM_LIMIT))


def _form_values() -> dict:
    return {k: request.form.get(k, "") for k in FIELDS}


def _origin() -> Origin:
    client_hash, network_hash = client()
    signed_in = current_user.email if current_user.is_authenticated else None
    return Origin(client_hash, network_hash, signed_in)


def _photos(errors: dict) -> list:
    """The uploaded photos, checked and stripped of metadata (the shared photo pipeline), saved;
    a problem goes into `errors` and nothing is kept."""
    uploads = [f for f in request.files.getlist("photos") if f and f.filename][: MAX_PHOTOS + 1]
    if not uploads:
        return []
    if len(uploads) > MAX_PHOTOS:
        errors["photos"] = f"Add at most {MAX_PHOTOS} photos."
    elif not request.form.get("photo_consent"):
        errors["photos"] = MESSAGES["photo_consent"]
    if errors:  # the form comes back; a browser cannot keep the files, so they are chosen again
        return []
    processed = []
    for upload in uploads:
        try:
            processed.append(process_upload(upload.stream))
        except PhotoError as err:
            errors["photos"] = f"{upload.filename}: {err}"
            return []
    photos = photo_store()
    return [(photos.save(p), p) for p in processed]


def _form_page(record: dict, kind: str, values: dict, errors: dict, status: int = 200, **extra):
    page = render_template(
        "reviews/write.html",
        clinic=record,
        slug=profile_slug(record),
        kind=kind,
        values=values,
        errors=errors,
        treatments=vocabulary.treatments(),
        max_photos=MAX_PHOTOS,
        **extra,
    )
    return make_response(page, status)


def _too_many(record: dict, kind: str, values: dict, **extra):
    errors = {"_form": "You have sent several reviews in the last hour. Please wait a while and try again."}
    return _form_page(record, kind, values, errors, 429, **extra)


def _held_reasons(outcome) -> list[str]:
    return [CHECK_REASONS[code] for code in outcome.held_for]


def _done(outcome, record: dict):
    """After the checks: published (search updated now) or held; the author's edit link is mailed."""
    if outcome.published:
        index_changes()
    edit_url = public_url("reviews.edit", token=outcome.edit_token) if outcome.edit_token else None
    if edit_url:
        send(
            outcome.review.email,
            "review_published" if outcome.published else "review_held",
            clinic=record,
            edit_url=edit_url,
            reasons=_held_reasons(outcome),
        )
    page = render_template(
        "reviews/done.html",
        clinic=record,
        slug=profile_slug(record),
        outcome=outcome,
        reasons=_held_reasons(outcome),
        edit_url=edit_url,
    )
    return private(make_response(page))


# --- a confirmed reviewer's review, from the profile -------------------------------------------------


@bp.route("/providers/<slug>/review", methods=["GET", "POST"])
def write(slug: str):
    """Anyone may write a review; it is published only once its author confirms their email."""
    found = listings.get(store(), id_from_slug(slug))
    if found is None:
        abort(404)
    record = found.record
    if request.method == "GET":
        return _form_page(record, "confirmed", {}, {})
    values = _form_values()
    if is_bot():
        return render_template("reviews/check_email.html", clinic=record, email=None)
    data, errors = load(ConfirmedReviewForm(), values)
    photos = _photos(errors)
    if errors:
        return _form_page(record, "confirmed", values, errors, 400)
    origin = _origin()
    if not allowed("review") or not allowed("confirmation-mail", data["email"].lower()):
        return _too_many(record, "confirmed", values)
    token = consumer_reviews.submit(store(), record["id"], data, data["email"], origin, photos)
    confirm_url = public_url("reviews.confirm", token=token)
    send(data["email"], "review_confirm", clinic=record, confirm_url=confirm_url)
    return render_template("reviews/check_email.html", clinic=record, email=data["email"])


@bp.route("/reviews/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The link in the confirmation mail opens a page with one button (mail scanners that follow
    links do not publish anything); pressing it sends the review to the checks."""
    if request.method == "GET":
        review = consumer_reviews.awaiting_confirmation(store(), token)
        if review is None:
            return private(make_response(render_template("reviews/link_gone.html"), 404))
        clinic = listings.get(store(), review.clinic_id).record
        page = render_template("reviews/confirm.html", token=token, review=review, clinic=clinic)
        return private(make_response(page))
    outcome = consumer_reviews.confirm(store(), token)
    if outcome is None:
        return private(make_response(render_template("reviews/link_gone.html"), 404))
    return _done(outcome, listings.get(store(), outcome.review.clinic_id).record)


# --- a verified visit, through its invitation --------------------------------------------------------


@bp.route("/reviews/invitation/<token>", methods=["GET", "POST"])
def invited(token: str):
    """Write a verified-visit review through the one-time link mailed after a completed visit."""
    invitation = consumer_reviews.invitation(store(), token)
    if invitation is None:
        return private(make_response(render_template("reviews/link_gone.html"), 404))
    record = listings.get(store(), invitation.clinic_id).record
    if request.method == "GET":
        first_name = (invitation.name or "").split(" ")[0]
        values = {"treatment": invitation.treatment or "", "author": first_name}
        return private(_form_page(record, "verified", values, {}, token=token))
    values = _form_values()
    data, errors = load(ReviewForm(), {k: v for k, v in values.items() if k != "email"})
    photos = _photos(errors)
    if errors:
        return private(_form_page(record, "verified", values, errors, 400, token=token))
    origin = _origin()
    if not allowed("review"):
        return private(_too_many(record, "verified", values, token=token))
    outcome = consumer_reviews.write_invited(store(), token, data, origin, photos)
    if outcome is None:  # used meanwhile (a second tab)
        return private(make_response(render_template("reviews/link_gone.html"), 404))
    return _done(outcome, record)


# --- the author's link -----------------------------------------------------------------------------


@bp.route("/reviews/edit/<token>", methods=["GET", "POST"])
def edit(token: str):
    """The author changes their review (it goes through the checks again) or deletes it."""
    review = consumer_reviews.authored(store(), token)
    if review is None:
        return private(make_response(render_template("reviews/link_gone.html"), 404))
    record = listings.get(store(), review.clinic_id).record
    extra = {"token": token, "review": review, "removal": REMOVAL_REASONS}
    if request.method == "GET":
        values = {
            "rating": str(review.rating),
            "title": review.content.get("title") or "",
            "text": review.content.get("text", ""),
            "author": review.content.get("author") or "",
            "treatment": review.treatment or "",
            "visit_month": review.visit_month or "",
        }
        return private(_form_page(record, "edit", values, {}, **extra))
    values = _form_values()
    data, errors = load(ReviewForm(), {k: v for k, v in values.items() if k != "email"})
    if errors:
        return private(_form_page(record, "edit", values, errors, 400, **extra))
    outcome = consumer_reviews.edit(store(), token, data)
    if outcome is None:
        return private(
            _form_page(
                record, "edit", values, {"_form": "This review can no longer be changed."}, 409, **extra
            )
        )
    if outcome.review.status == "published" or review.status == "published":
        index_changes()
    if outcome.published:
        flash("Your review is updated.")
        return redirect(url_for("pages.profile", slug=profile_slug(record)) + f"#review-{outcome.review.id}")
    return _done(outcome, record)


@bp.post("/reviews/edit/<token>/delete")
def delete(token: str):
    removed = consumer_reviews.delete(store(), token)
    if removed is None:
        return private(make_response(render_template("reviews/link_gone.html"), 404))
    for key in removed:
        photo_store().delete(key)
    index_changes()
    return private(make_response(render_template("reviews/deleted.html")))


# --- readers -----------------------------------------------------------------------------------------


@bp.post("/providers/<slug>/reviews/<review_id>/helpful")
def helpful(slug: str, review_id: str):
    """Count "this review was helpful" once per reader."""
    client_hash, _ = client()
    if not allowed("vote"):
        abort(429)
    if consumer_reviews.vote(store(), id_from_slug(slug), review_id, client_hash) is None:
        abort(404)
    flash("Thank you for your feedback.")
    return redirect(url_for("pages.profile", slug=slug, **request.args) + "#reviews")


@bp.get("/review-policy")
def policy():
    """What we remove and why, what the automatic checks look for, how decisions are counted."""
    return render_template("reviews/policy.html", removal=REMOVAL_REASONS, checks=CHECK_REASONS)
