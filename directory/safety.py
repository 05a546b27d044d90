"""What every request passes through before and after its view: the parts of the app that keep
hostile input, proxies and browsers in line. Wired up once by the app factory (`init_app`).

- **Trusted proxies.** `DIRECTORY_TRUSTED_PROXIES=N` (default 0): the app runs behind N proxies
  (a load balancer, nginx...), and takes the client's address and scheme from the last N
  `X-Forwarded-For` / `X-Forwarded-Proto` entries (werkzeug's ProxyFix). Rate limits, login
  throttling and the session cookie's Secure flag all read the corrected values. With 0, those
  headers are ignored, so a client cannot pick its own address.
- **Public URL.** Absolute URLs (API `url` fields, canonical links, JSON-LD, robots.txt,
  sitemaps, account links) are built for `DIRECTORY_PUBLIC_URL`, never from the `Host` header a
  client sends. It is required outside debug and testing.
- **Request size.** A request body may be at most MAX_BODY (413 before it is read); a photo
  upload at most its file limit plus the form around it.
- **Headers.** A Content-Security-Policy the pages, the map and the JSON-LD work under (scripts
  and styles from this site only, map tiles from their server), framing refused, nosniff, a
  Referrer-Policy, HSTS on HTTPS; `Retry-After` only where there is something to retry.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Request, Response, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, MapAdapter

# Ids in URLs (/admin/claims/<int:...>, sitemaps) are looked up in integer columns: 32-bit on
# PostgreSQL, 64-bit on SQLite. A larger number names nothing, so it is a 404 rather than an
# overflow inside the database driver.
MAX_URL_INT = 2**31 - 1
MAX_BODY = 1024 * 1024  # forms and API calls; the listing form is a few KB
LOCAL_PUBLIC_URL = "http://127.0.0.1:8000"  # debug and tests only
HSTS = "max-age=31536000"


class StoreInteger(IntegerConverter):
    """`<int:...>` limited to what a store's integer column can hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_URL_INT)
        super().__init__(map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Before any route is added: every `<int:...>` in the app is a StoreInteger."""
    app.url_map.converters["int"] = StoreInteger


class PublicUrlFlask(Flask):
    """Flask whose URLs are built for PUBLIC_URL's scheme and host instead of the request's."""

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        adapter = super().create_url_adapter(request)
        if request is not None and adapter is not None and self.config.get("PUBLIC_URL"):
            public = urlsplit(self.config["PUBLIC_URL"])
            adapter.url_scheme, adapter.server_name = public.scheme, public.netloc
        return adapter


def public_url(app: Flask) -> str:
    """The checked PUBLIC_URL (scheme and host, no path); a local one in debug and testing only."""
    url = app.config.get("PUBLIC_URL")
    if not url:
        if not (app.debug or app.testing):
            raise RuntimeError(
                "DIRECTORY_PUBLIC_URL is not set: set it to the address people use, like "
                "https://directory.example.org (for a local run: http://127.0.0.1:8000)."
            )
        url = LOCAL_PUBLIC_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/") or parts.query:
        raise RuntimeError(f"DIRECTORY_PUBLIC_URL must be like https://directory.example.org, not {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> None:
    """Proxy trust, the public URL, body limits and response headers (see the module docstring).

    Call before other extensions register their after_request hooks: Flask runs those hooks in
    reverse order, so these headers are set last, over what the rate limiter added.
    """
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.config["PUBLIC_URL"] = public_url(app)
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY

    @app.before_request
    def upload_limit() -> None:
        limit = app.config.get("UPLOAD_LIMITS", {}).get(request.endpoint)
        if limit:
            request.max_content_length = limit

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        from directory import problems

        limit = request.max_content_length or MAX_BODY
        error.description = f"The request is larger than the {limit / 1024 / 1024:g} MB this address accepts."
        return problems.handle_http_exception(error)

    @app.after_request
    def headers(response: Response) -> Response:
        set_security_headers(response, content_security_policy(app))  # TILE_URL may change in tests
        return response

    @app.template_global()
    def page_url() -> str:
        """This page's public address (no query): og:url and the default canonical link."""
        return app.config["PUBLIC_URL"] + request.script_root + request.path


def content_security_policy(app: Flask) -> str:
    from directory.pages import DEFAULT_TILES

    tiles = urlsplit(app.config.get("TILE_URL") or DEFAULT_TILES)
    tile_origin = f"{tiles.scheme}://{tiles.netloc.replace('{s}', '*')}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {tile_origin}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def set_security_headers(response: Response, csp: str) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=(), payment=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if response.status_code not in (429, 503):
        # The rate limiter adds it to every response; it means "come back then" only on these.
        headers.pop("Retry-After", None)
