"""The listing form (validated by the same ClinicRecord schema as feeds, saved through the
listing-edit service with the version it was opened with) and the listing's audit trail."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from directory import freshness
from directory.clinic import history, hours_form
from directory.clinic.access import actor, admin_args, bp, target_clinic
from directory.clinic.listing_form import (
    EXTRA_CERT_ROWS,
    EXTRA_PRICE_ROWS,
    SCHEMA,
    address_changed,
    build_record,
    values_from_form,
    values_from_record,
)
from directory.context import geocoder, index_changes, settings, store
from registry import listings, moderation, provenance, vocabulary
from registry.derive import is_valid_certification, profile_slug
from registry.geocode import geocode_address

# What the clinic is told after a save, by where the change stands in search (context.index_changes).
SAVED = {
    "indexed": ("Saved. Your listing is updated in search.", "message"),
    "queued": ("Saved. Search is catching up and will show your change shortly.", "message"),
    "refused": (
        "Saved, but not yet in search: the search engine could not take this version of your listing, "
        "so search still shows the previous one. Our administrators have been told and will be in touch.",
        "error",
    ),
}


@bp.route("/clinic/listing", methods=["GET", "POST"])
@login_required
def listing():
    clinic_id = target_clinic()
    stored = listings.get(store(), clinic_id)
    if stored is None:
        abort(404)
    current, version = stored.record, stored.version
    claims = moderation.claims_of(store(), clinic_id)
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
    flash(*SAVED[index_changes(clinic_id)])
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
    point = geocode_address(geocoder(), form.record["address"])
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
        hours=hours_form.template_data(values),
        extra_price_rows=EXTRA_PRICE_ROWS,
        facts=freshness.annotate(listings.get(store(), clinic_id).facts),
        max_age_days=settings().facts_max_age_days,
        lapsed=lapsed_credentials(current),
        today=date.today().isoformat(),
        treatments=vocabulary.treatments(),
        certifications=vocabulary.certifications(),
        name=current["name"],
        tile_url=current_app.config.get("TILE_URL"),
        as_admin=current_user.is_admin,
    )


def lapsed_credentials(record: dict) -> list[dict]:
    """Verified credentials past their expiry date: the clinic must renew them (defect 3)."""
    today = date.today()
    names = vocabulary.certifications()
    return [
        {**c, "name": c.get("name") or names.get(c["code"], {}).get("name", c["code"])}
        for c in record.get("certifications", [])
        if c.get("verified") and not is_valid_certification(c, today)
    ]


@bp.post("/clinic/confirm")
@login_required
def confirm_facts():
    """One click: the listing's unchanged facts (one group or all) are confirmed as still right."""
    clinic_id = target_clinic()
    confirmed = listings.confirm(
        store(),
        clinic_id,
        request.form.getlist("groups"),
        actor=actor(),
        source="admin" if current_user.is_admin else "clinic",
    )
    if not confirmed:
        abort(400)
    words = ", ".join(provenance.LABELS[group].lower() for group in confirmed)
    indexed = index_changes()
    flash(f"Confirmed as still right: {words}." + ("" if indexed else " Search will show it shortly."))
    return redirect(url_for("clinic.listing", **admin_args(clinic_id)))


@bp.get("/clinic/public")
@login_required
def public_page():
    """ "View my public page": the listing's profile, as consumers see it."""
    stored = listings.get(store(), target_clinic())
    if stored is None:
        abort(404)
    return redirect(url_for("pages.profile", slug=profile_slug(stored.record)))


@bp.get("/clinic/audit")
@login_required
def audit_trail():
    """The listing's change history, in words and in the clinic's own time zone."""
    clinic_id = target_clinic()
    stored = listings.get(store(), clinic_id)
    zone = ((stored.record.get("hours") or {}).get("timezone")) if stored else None
    changes = [history.describe(entry, zone) for entry in moderation.audit_trail(store(), clinic_id)]
    return render_template("clinic/audit.html", changes=changes, clinic_id=clinic_id)
