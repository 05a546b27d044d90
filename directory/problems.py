"""Errors as RFC 9457 problem documents for the API; plain pages for people elsewhere."""

from __future__ import annotations

import json

from flask import Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from directory.search.errors import CursorError, PlaceNotFound
from registry.messages import describe

PROBLEM_TYPE = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    errors: list[dict] | None = None,
    headers: dict | None = None,
    **extra,
) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE, headers=headers or {})


def parameter_errors(messages: dict) -> list[dict]:
    """webargs' {"query": {"radius": ["..."]}} -> [{"parameter": "radius", "reason": "..."}].

    Reasons from the message catalogue get the parameter's label filled in (registry/messages.py).
    """
    out = []
    for location in messages.values():
        for name, reasons in location.items():
            if isinstance(reasons, dict):  # a list field: {index: [reasons]}
                reasons = [r for rs in reasons.values() for r in rs]
            for reason in reasons if isinstance(reasons, list) else [reasons]:
                parameter = "_query" if name == "_schema" else name
                out.append({"parameter": parameter, "reason": describe(parameter, str(reason), {})})
    return out


def unknown_place(error: PlaceNotFound) -> Response:
    """The API's answer to a `location` the geocoder does not know: 400 with close spellings."""
    hint = f" Did you mean: {'; '.join(error.suggestions)}?" if error.suggestions else ""
    return problem(
        400,
        "Unknown place",
        f"No place called {error.place!r} was found.{hint}",
        [{"parameter": "location", "reason": "unknown place"}],
        suggestions=error.suggestions,
    )


def bad_cursor(error: CursorError) -> Response:
    """The API's answer to a damaged cursor, or one made for another query."""
    return problem(400, "Bad Request", str(error), [{"parameter": "cursor", "reason": str(error)}])


def wants_problem() -> bool:
    return request.path.startswith("/api/")


# What an error page says to people, by status; codes not listed keep their own description.
PAGE_TEXT = {
    403: ("This page is not yours to see", "You are signed in with an account that cannot open it."),
    404: (
        "We can’t find that page",
        "The address may be mistyped, or the page may have moved. A clinic that changed its name "
        "keeps its old address, so try searching for it.",
    ),
    405: ("That did not work", "This page cannot be used that way. Go back and try again."),
    410: ("This link no longer works", "It has been used already or has expired."),
    429: ("Too many requests", "Please wait a minute, then try again."),
    500: (
        "Something went wrong on our side",
        "We have been told about it. Please try again in a moment; what you were looking at is safe.",
    ),
    503: ("Search is unavailable for a moment", "Please try again in a minute."),
}
CSRF_TEXT = (
    "This form has expired",
    "For your security a form works for a limited time. Go back, reload the page and send it again.",
)
PLAIN_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} · Provider Directory</title>'
    '</head><body><main><h1>{title}</h1><p>{message}</p><p><a href="/">Go to the home page</a></p>'
    "</main></body></html>"
)


def error_page(error: HTTPException):
    """The site's error page (header, navigation, a search box); plain HTML if even that fails."""
    heading, message = (
        CSRF_TEXT
        if isinstance(error, CSRFError)
        else PAGE_TEXT.get(error.code, (error.name, error.description))
    )
    if error.code in (400, 503) and error.description and not isinstance(error, CSRFError):
        message = error.description  # our own words, written where the error was raised
    try:
        return render_template("error.html", error=error, heading=heading, message=message), error.code
    except Exception:  # noqa: BLE001 - e.g. the store is down and the page cannot load the account
        current_app.logger.exception("the error page could not be drawn")
        return PLAIN_PAGE.format(title=escape(heading), message=escape(message)), error.code


def handle_http_exception(error: HTTPException):
    """API paths get problem+json naming the offending parameters; pages get an HTML page."""
    if not wants_problem():
        if error.code and error.code >= 500 and error.code != 503:
            error = InternalServerError()
        return error_page(error)
    data = getattr(error, "data", None) or {}
    errors = parameter_errors(data["messages"]) if "messages" in data else None
    detail = data.get("message") or (None if errors else error.description)
    if errors:
        detail = "; ".join(f"{e['parameter']}: {e['reason']}" for e in errors)
    return problem(error.code or 500, error.name, detail, errors, headers=data.get("headers"))


def handle_unexpected(error: Exception):
    """Never show a stack trace: log it, answer 500 in the caller's format."""
    current_app.logger.exception("unhandled error", exc_info=error)
    if wants_problem():
        return problem(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")
    return error_page(InternalServerError())


def handle_search_unavailable(error: Exception):
    """Elasticsearch down, timing out or without an index: 503 instead of a hang or a 500."""
    current_app.logger.warning("search unavailable: %s", error)
    detail = "Search is temporarily unavailable. Please try again in a moment."
    if wants_problem():
        return problem(503, "Service Unavailable", detail, headers={"Retry-After": "30"})
    return error_page(ServiceUnavailable(detail))


def handle_search_error(error):
    """An error status from Elasticsearch: missing index or overload is 503, anything else a bug."""
    if error.meta.status in (404, 429, 503):
        return handle_search_unavailable(error)
    return handle_unexpected(error)
