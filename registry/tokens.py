"""Secrets handed out once (partner API keys, one-time links), kept only as digests; and keyed
digests of what must be compared but not kept (a client's address)."""

from __future__ import annotations

import hashlib
import hmac


def digest(token: str) -> str:
    """SHA-256 of a token, hex. Tokens are 32 random bytes, so a fast hash is enough: nobody can
    brute-force a preimage, and checking a token costs one indexed lookup."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_digest(key: str, value: str) -> str:
    """HMAC-SHA256 of `value` under the app's secret: equal values compare equal, yet a stored
    digest of an IP address cannot be turned back into the address by trying all four billion."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
