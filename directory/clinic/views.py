"""Clinic pages: sign in, set a password, edit the listing, photos, audit trail; consumer reports.

Every route works on the signed-in account's own listing. An administrator may name any
listing with ?clinic=ID; a clinic account naming another listing gets 403.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.clinic import accounts
from directory.clinic.listing_form import (
    EXTRA_CERT_ROWS,
    SCHEMA,
    address_changed,
    build_record,
    values_from_form,
    values_from_record,
)
from indexer.sync import index_pending
from registry import listings, vocabulary
from registry.db import now
from registry.derive import id_from_slug
from registry.geocode import geocode_address
from registry.listings import audit
from registry.models import REPORT_KINDS, Account, AuditEntry, Clinic, CredentialClaim, ListingReport, Photo
from registry.schema import DAYS, is_valid_id

bp = Blueprint("clinic", __name__)


def store():
    return current_app.extensions["store"]


def target_clinic() -> str:
    """The listing this request works on, after the ownership check."""
    requested = request.values.get("clinic")
    if current_user.is_admin:
        if not requested:
            abort(400, "Administrators choose a listing with ?clinic=ID.")
        if not is_valid_id(requested):
            abort(404)
        return requested
    if requested and requested != current_user.clinic_id:
        abort(403)
    return current_user.clinic_id


def actor() -> str:
    return current_user.email


def sync_now() -> bool:
    """Index queued changes at once; False when Elasticsearch is unavailable (the worker retries)."""
    result = index_pending(
        store(), current_app.extensions["elasticsearch"], current_app.config["SETTINGS"].index
    )
    return result.error is None


# --- accounts -----------------------------------------------------------------------------


@bp.route("/clinic/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")
        if not accounts.login_allowed(email, request.remote_addr or "?"):
            return render_template(
                "clinic/login.html", error="Too many attempts. Wait a minute and try again.", email=email
            ), 429
        with Session(store(), expire_on_commit=False) as db:
            account = accounts.authenticate(db, email, request.form.get("password", ""))
            if account is not None:
                account.last_login_at = now()
                db.commit()
                db.expunge(account)
        if account is not None:
            session.clear()  # a fresh session at login: nothing from before carries over
            login_user(account)
            return redirect(url_for("clinic.home"))
        error = "That email and password do not match an account."
    return render_template(
        "clinic/login.html", error=error, email=request.form.get("email", "")
    ), 401 if error else 200


@bp.post("/clinic/logout")
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("clinic.login"))


@bp.route("/clinic/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    with Session(store(), expire_on_commit=False) as db:
        link = accounts.valid_link(db, token)
        if link is None:
            return render_template("clinic/set_password.html", invalid=True), 410
        account = db.get(Account, link.account_id)
        error = None
        if request.method == "POST":
            password = request.form.get("password", "")
            error = accounts.password_problem(password, account.email)
            if not error and password != request.form.get("confirm", ""):
                error = "The two passwords differ."
            if not error:
                account.password_hash = accounts.hash_password(password)
                link.used_at = now()
                db.commit()
                db.expunge(account)
                session.clear()
                login_user(account)
                flash("Your password is set.")
                return redirect(url_for("clinic.home"))
        return render_template(
            "clinic/set_password.html", invalid=False, email=account.email, purpose=link.purpose, error=error
        ), 400 if error else 200


@bp.get("/clinic/")
@login_required
def home():
    if current_user.is_admin:
        return redirect(url_for("admin.queue"))
    return redirect(url_for("clinic.listing"))


# --- the listing form ---------------------------------------------------------------------


@bp.route("/clinic/listing", methods=["GET", "POST"])
@login_required
def listing():
    clinic_id = target_clinic()
    with Session(store()) as db:
        row = db.get(Clinic, clinic_id)
        if row is None:
            abort(404)
        current, version = row.record, row.version
        claims = db.scalars(
            select(CredentialClaim)
            .where(CredentialClaim.clinic_id == clinic_id)
            .order_by(CredentialClaim.id.desc())
        ).all()
        db.expunge_all()
    if request.method == "GET":
        return render_listing(current, values_from_record(current), version, claims=claims)

    values = values_from_form(request.form)
    form = build_record(values, current)
    location, location_error = choose_location(form, current)
    if location_error:
        form.errors["address.street"] = location_error
    if form.errors:
        return render_listing(
            current,
            values,
            request.form.get("version", version),
            form.errors,
            claims=claims,
            location=location,
        ), 400
    form.record["location"] = location
    if request.form.get("action") == "preview":
        return render_listing(
            current,
            values,
            request.form.get("version", version),
            claims=claims,
            location=location,
            notice="Check the pin: drag it if the place is not right, then save.",
        )
    try:
        listings.save(
            store(),
            clinic_id,
            SCHEMA.dump(form.record),
            version=request.form.get("version", ""),
            actor=actor(),
            source="admin" if current_user.is_admin else "clinic",
            claims=form.new_claims,
        )
    except listings.VersionConflict:
        # The stale version stays in the form, so saving again conflicts again until a reload.
        message = (
            "Someone else saved this listing after you opened it. Your changes are below but were NOT "
            "saved; reload the page to see the latest version, then apply your changes again."
        )
        return render_listing(
            current,
            values,
            request.form.get("version", ""),
            claims=claims,
            location=location,
            conflict=message,
        ), 409
    if sync_now():
        flash("Saved. Your listing is updated in search.")
    else:
        flash("Saved. Search is catching up and will show your change shortly.")
    return redirect(url_for("clinic.listing", **({"clinic": clinic_id} if current_user.is_admin else {})))


def choose_location(form, current: dict) -> tuple[dict | None, str | None]:
    """The dragged pin wins; a changed address is geocoded; otherwise the stored point stays."""
    if request.form.get("pin_moved") == "1":
        try:
            lat, lon = float(request.form["location.lat"]), float(request.form["location.lon"])
        except (KeyError, ValueError):
            return current.get("location"), "The pin position is not valid; drag it again."
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return {"lat": lat, "lon": lon}, None
        return current.get("location"), "The pin position is not valid; drag it again."
    if form.record is None or not address_changed(form.record, current):
        return current.get("location"), None
    point = geocode_address(current_app.extensions["geocoder"], form.record["address"])
    if point is None:
        return current.get(
            "location"
        ), "We could not place this address on the map. Check it, or drag the pin."
    return {"lat": point[0], "lon": point[1]}, None


def render_listing(
    current, values, version, errors=None, claims=(), location=None, notice=None, conflict=None
):
    """The form for the stored listing `current`, filled with `values`."""
    clinic_id = current["id"]
    location = location or current.get("location")
    certs = (
        values["certifications"] + [{"code": "", "issuer": "", "number": "", "expires": ""}] * EXTRA_CERT_ROWS
    )
    return render_template(
        "clinic/listing.html",
        clinic_id=clinic_id,
        values=values,
        version=version,
        errors=errors or {},
        certs=certs,
        claims=claims,
        location=location,
        notice=notice,
        conflict=conflict,
        days=DAYS,
        treatments=vocabulary.treatments(),
        certifications=vocabulary.certifications(),
        name=current["name"],
        tile_url=current_app.config.get("TILE_URL"),
        as_admin=current_user.is_admin,
    )


@bp.get("/clinic/audit")
@login_required
def audit_trail():
    clinic_id = target_clinic()
    with Session(store()) as db:
        entries = db.scalars(
            select(AuditEntry)
            .where(AuditEntry.clinic_id == clinic_id)
            .order_by(AuditEntry.id.desc())
            .limit(200)
        ).all()
    return render_template("clinic/audit.html", entries=entries, clinic_id=clinic_id)


# --- photos -------------------------------------------------------------------------------


def photo_store():
    from directory.photos import PhotoStore

    return PhotoStore(current_app.config["PHOTO_DIR"])


def clinic_photos(db: Session, clinic_id: str) -> list[Photo]:
    return db.scalars(
        select(Photo).where(Photo.clinic_id == clinic_id).order_by(Photo.position, Photo.id)
    ).all()


@bp.route("/clinic/photos", methods=["GET", "POST"])
@login_required
def photos():
    from directory.photos import PhotoError, process_upload

    clinic_id = target_clinic()
    error = None
    if request.method == "POST":
        upload = request.files.get("photo")
        if not request.form.get("consent"):
            error = "Confirm that the person pictured agreed to publication."
        elif upload is None or not upload.filename:
            error = "Choose a photo to upload."
        else:
            try:
                processed = process_upload(upload.stream)
            except PhotoError as err:
                error = str(err)
        if error is None:
            key = photo_store().save(processed)
            with Session(store()) as db:
                position = len(clinic_photos(db, clinic_id))
                db.add(
                    Photo(
                        clinic_id=clinic_id,
                        file_key=key,
                        content_type=processed.content_type,
                        extension=processed.extension,
                        width=processed.width,
                        height=processed.height,
                        caption=request.form.get("caption", "").strip()[:300],
                        position=position,
                        consent=True,
                        uploaded_by=actor(),
                        created_at=now(),
                    )
                )
                audit(db, clinic_id, actor(), current_user.role, "photo-added", {"photo": [None, key]})
                db.commit()
            flash("Photo added.")
            return redirect(url_for("clinic.photos", **admin_args(clinic_id)))
    with Session(store()) as db:
        items = clinic_photos(db, clinic_id)
    return render_template(
        "clinic/photos.html", photos=items, error=error, clinic_id=clinic_id, as_admin=current_user.is_admin
    ), 400 if error else 200


def admin_args(clinic_id: str) -> dict:
    return {"clinic": clinic_id} if current_user.is_admin else {}


def owned_photo(db: Session, photo_id: int) -> Photo:
    photo = db.get(Photo, photo_id)
    if photo is None or not current_user.can_edit(photo.clinic_id):
        abort(404)  # another clinic's photo is not there, as far as this account can tell
    return photo


@bp.post("/clinic/photos/<int:photo_id>")
@login_required
def edit_photo(photo_id: int):
    with Session(store()) as db:
        photo = owned_photo(db, photo_id)
        photo.caption = request.form.get("caption", photo.caption).strip()[:300]
        if request.form.get("position", "").lstrip("-").isdigit():
            photo.position = int(request.form["position"])
        audit(
            db,
            photo.clinic_id,
            actor(),
            current_user.role,
            "photo-edited",
            {"photo": [photo.file_key, photo.caption]},
        )
        clinic_id = photo.clinic_id
        db.commit()
    flash("Photo updated.")
    return redirect(url_for("clinic.photos", **admin_args(clinic_id)))


@bp.post("/clinic/photos/<int:photo_id>/delete")
@login_required
def delete_photo(photo_id: int):
    with Session(store()) as db:
        photo = owned_photo(db, photo_id)
        clinic_id, key = photo.clinic_id, photo.file_key
        db.delete(photo)
        audit(db, clinic_id, actor(), current_user.role, "photo-removed", {"photo": [key, None]})
        db.commit()
    photo_store().delete(key)
    flash("Photo removed.")
    return redirect(url_for("clinic.photos", **admin_args(clinic_id)))


@bp.get("/photos/<key>.<ext>")
def photo_file(key: str, ext: str):
    """Published photos (consent given); `<key>.thumb.<ext>` is the thumbnail."""
    from directory.photos import is_photo_key

    thumb = key.endswith(".thumb")
    key = key.removesuffix(".thumb")
    if not is_photo_key(key):
        abort(404)
    with Session(store()) as db:
        photo = db.scalar(select(Photo).where(Photo.file_key == key))
    if photo is None or not photo.consent or photo.extension != ext:
        abort(404)
    response = send_file(photo_store().path(key, thumb=thumb), mimetype=photo.content_type, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- consumer reports ---------------------------------------------------------------------

REPORT_LIMIT = "10 per hour"


@bp.post("/providers/<slug>/report")
def report(slug: str):
    """ "Report a problem with this listing": lands in the administrators' queue."""
    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    clinic_id = id_from_slug(slug)
    kind = request.form.get("kind", "")
    message = request.form.get("message", "").strip()
    with Session(store()) as db:
        if not is_valid_id(clinic_id) or not listings.exists(db, clinic_id):
            abort(404)
        if kind not in REPORT_KINDS or not 5 <= len(message) <= 2000:
            flash(
                "Please choose what is wrong and describe it in a few words (up to 2,000 characters).",
                "error",
            )
            return redirect(url_for("pages.profile", slug=slug) + "#report")
        limiter = FixedWindowRateLimiter(current_app.extensions["rate_limits"])
        if not limiter.hit(parse(REPORT_LIMIT), "report", request.remote_addr or "?"):
            abort(429)
        db.add(
            ListingReport(
                clinic_id=clinic_id,
                kind=kind,
                message=message,
                contact=request.form.get("contact", "").strip()[:254] or None,
                status="open",
                created_at=now(),
            )
        )
        db.commit()
    flash("Thank you. Our team will look into it.")
    return redirect(url_for("pages.profile", slug=slug) + "#report")
