"""Secrets handed out once (partner API keys, one-time account links), kept only as digests."""

from __future__ import annotations

import hashlib


def digest(token: str) -> str:
    """SHA-256 of a token, hex. Tokens are 32 random bytes, so a fast hash is enough: nobody can
    brute-force a preimage, and checking a token costs one indexed lookup."""
    return hashlib.sha256(token.encode()).hexdigest()
