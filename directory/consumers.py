"""What the consumers' forms (consultation requests, reviews, helpful votes) share: who the
client is for the review checks (keyed digests of its address and network, never the address
itself), per-client limits counted exactly in the shared store (directory.ratelimit: per address,
the client's own behind trusted proxies), the honeypot field, and the headers of pages opened by
a mailed link."""

from __future__ import annotations

import ipaddress

from flask import current_app, request

from directory import ratelimit
from registry.tokens import keyed_digest

# Per client address, counted exactly in the shared store like the logins' limits.
LIMITS = {
    "request": "5 per hour",
    "review": "5 per hour",
    "confirmation-mail": "3 per day",  # per email address: nobody is flooded with our mail
    "vote": "60 per hour",
}
HONEYPOT = "website_url"  # hidden from people; bots that fill every field fill it


def client() -> tuple[str, str]:
    """Keyed digests of the client's address and of its network (/24 for IPv4, /48 for IPv6)."""
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
        network = str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))
    except ValueError:
        network = address
    key = current_app.config["SECRET_KEY"]
    return keyed_digest(key, address), keyed_digest(key, network)


def allowed(kind: str, who: str | None = None) -> bool:
    """Count one more `kind` for this client's address (or for `who`); False once over its limit."""
    return ratelimit.allowed(LIMITS[kind], kind, who or ratelimit.address_key())


def is_bot() -> bool:
    """Did the submission fill the honeypot field no person sees?"""
    return bool(request.form.get(HONEYPOT, "").strip())


def private(response):
    """A page opened by a secret link: not cached, not indexed, and the link not passed on."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
