"""Who may act on which listing: the clinic blueprint's ownership rules.

Every /clinic/... route works on the signed-in account's own listing. An administrator names
a listing with ?clinic=ID; a clinic account naming another listing gets 403.
"""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user

from registry.schema import is_valid_id

bp = Blueprint("clinic", __name__)


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


def admin_args(clinic_id: str) -> dict:
    """The ?clinic= an administrator's redirect must keep."""
    return {"clinic": clinic_id} if current_user.is_admin else {}
