"""Opaque paging cursors: the last hit's sort values, tied to the query that made them."""

from __future__ import annotations

import base64
import hashlib
import json
import math

from directory.search.errors import CursorError


def _digest(fingerprint: dict) -> str:
    canonical = json.dumps(fingerprint, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode(sort_values: list, fingerprint: dict) -> str:
    raw = json.dumps({"after": sort_values, "q": _digest(fingerprint)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, fingerprint: dict, size: int | None = None) -> list:
    """Sort values to continue after; refuses a cursor made for a different query, and one that
    does not hold `size` plain sort values (a cursor is not signed, so it may be forged)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after, digest = data["after"], data["q"]
    except (ValueError, KeyError, TypeError) as err:
        raise CursorError("This cursor is not valid; start again from the first page.") from err
    if not isinstance(after, list) or digest != _digest(fingerprint):
        raise CursorError("This cursor belongs to a different query; start again from the first page.")
    if (size is not None and len(after) != size) or not all(map(_sort_value, after)):
        raise CursorError("This cursor is not valid; start again from the first page.")
    return after


def _sort_value(value) -> bool:
    """What Elasticsearch hands back as a sort value: a 64-bit number, a finite float, a short string."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or (isinstance(value, str) and len(value) <= 1024)
