"""Opaque paging cursors: the last hit's sort values, tied to the query that made them."""

from __future__ import annotations

import base64
import hashlib
import json

from directory.search.errors import CursorError


def _digest(fingerprint: dict) -> str:
    canonical = json.dumps(fingerprint, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode(sort_values: list, fingerprint: dict) -> str:
    raw = json.dumps({"after": sort_values, "q": _digest(fingerprint)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, fingerprint: dict) -> list:
    """Sort values to continue after; refuses a cursor made for a different query."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after, digest = data["after"], data["q"]
    except (ValueError, KeyError, TypeError) as err:
        raise CursorError("This cursor is not valid; start again from the first page.") from err
    if not isinstance(after, list) or digest != _digest(fingerprint):
        raise CursorError("This cursor belongs to a different query; start again from the first page.")
    return after
