"""A clinic's before/after photos: upload (consent required), caption, order, remove; and the
public photo files (`/photos/<key>.<ext>`, `<key>.thumb.<ext>` for the thumbnail)."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from directory.clinic.access import admin_args, bp, target_clinic
from directory.context import store
from directory.photos import PhotoError, PhotoStore, is_photo_key, process_upload
from registry import photos as stored_photos

POSITION = re.compile(r"-?\d{1,6}")  # a photo's place in its listing's order


def photo_store() -> PhotoStore:
    return PhotoStore(current_app.config["PHOTO_DIR"])


@bp.route("/clinic/photos", methods=["GET", "POST"])
@login_required
def photos():
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
            caption = request.form.get("caption", "").strip()[:300]
            stored_photos.add(store(), clinic_id, key, processed, caption, current_user)
            flash("Photo added.")
            return redirect(url_for("clinic.photos", **admin_args(clinic_id)))
    return render_template(
        "clinic/photos.html",
        photos=stored_photos.of_clinic(store(), clinic_id),
        error=error,
        clinic_id=clinic_id,
        as_admin=current_user.is_admin,
    ), 400 if error else 200


@bp.post("/clinic/photos/<int:photo_id>")
@login_required
def edit_photo(photo_id: int):
    caption = request.form.get("caption")
    position = request.form.get("position", "")
    clinic_id = stored_photos.edit(
        store(),
        photo_id,
        None if caption is None else caption.strip()[:300],
        int(position) if POSITION.fullmatch(position) else None,
        current_user,
    )
    if clinic_id is None:
        abort(404)  # another clinic's photo is not there, as far as this account can tell
    flash("Photo updated.")
    return redirect(url_for("clinic.photos", **admin_args(clinic_id)))


@bp.post("/clinic/photos/<int:photo_id>/delete")
@login_required
def delete_photo(photo_id: int):
    removed = stored_photos.delete(store(), photo_id, current_user)
    if removed is None:
        abort(404)
    clinic_id, key = removed
    photo_store().delete(key)
    flash("Photo removed.")
    return redirect(url_for("clinic.photos", **admin_args(clinic_id)))


@bp.get("/photos/<key>.<ext>")
def photo_file(key: str, ext: str):
    """Published photos (consent given, not hidden); `<key>.thumb.<ext>` is the thumbnail."""
    thumb = key.endswith(".thumb")
    key = key.removesuffix(".thumb")
    if not is_photo_key(key):
        abort(404)
    photo = stored_photos.by_key(store(), key)
    own = photo is not None and current_user.is_authenticated and current_user.can_edit(photo.clinic_id)
    if photo is None or photo.extension != ext or not (photo.public or own):
        abort(404)  # a hidden photo is shown only to its clinic and to administrators
    response = send_file(
        photo_store().path(key, thumb=thumb),
        mimetype=photo.content_type,
        max_age=86400 if photo.public else 0,
        conditional=True,
    )
    if not photo.public:
        response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
