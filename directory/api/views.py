"""Partner API views: thin wrappers that validate, call the search core or the store, reply."""

from __future__ import annotations

import json
from datetime import UTC

import orjson
from flask import Response, current_app, request, stream_with_context, url_for
from flask.views import MethodView
from sqlalchemy.orm import Session

from directory.api import blp
from directory.api import schemas as s
from directory.listing import provider_detail
from directory.problems import problem
from directory.search import CursorError, PlaceNotFound, SearchQuery, resolve_place, search
from directory.search.args import SearchArgs
from directory.search.core import suggest
from registry import listings

CACHE_SECONDS = 60


def json_response(payload: dict, max_age: int = CACHE_SECONDS) -> Response:
    """JSON with an ETag (304 on a match) and a short cache lifetime."""
    response = Response(orjson.dumps(payload), mimetype="application/json")
    response.cache_control.max_age = max_age
    response.vary.add("X-API-Key")
    response.add_etag()
    return response.make_conditional(request)


def profile_url(slug: str) -> str:
    return url_for("pages.profile", slug=slug, _external=True)


@blp.route("/providers")
class Providers(MethodView):
    @blp.arguments(SearchArgs(), location="query", as_kwargs=False)
    @blp.response(200, s.SearchResponse)
    @blp.alt_response(400, schema=s.Problem, description="A parameter is invalid or the place is unknown.")
    @blp.alt_response(503, schema=s.Problem, description="The search engine is unavailable.")
    def get(self, query: SearchQuery):
        """Search providers near a place, in a map area, or by text and filters."""
        try:
            resolve_place(query, current_app.extensions["geocoder"])
        except PlaceNotFound as err:
            hint = f" Did you mean: {'; '.join(err.suggestions)}?" if err.suggestions else ""
            return problem(
                400,
                "Unknown place",
                f"No place called {err.place!r} was found.{hint}",
                [{"parameter": "location", "reason": "unknown place"}],
                suggestions=err.suggestions,
            )
        try:
            results = search(
                current_app.extensions["elasticsearch"], current_app.config["SETTINGS"].index, query
            )
        except CursorError as err:
            return problem(400, "Bad Request", str(err), [{"parameter": "cursor", "reason": str(err)}])
        prefix = profile_url("_")[:-1]  # one url_for per response, not per result
        for item in results.items:
            item["url"] = prefix + item["slug"]
        payload = {
            "total": results.total,
            "next_cursor": results.next_cursor,
            "origin": results.origin,
            "results": results.items,
            "facets": results.facets,
        }
        return json_response(payload, max_age=0 if query.open_now else CACHE_SECONDS)


@blp.route("/providers/<provider_id>")
class Provider(MethodView):
    @blp.arguments(s.ReviewArgs(), location="query")
    @blp.response(200, s.ProviderDetail)
    @blp.alt_response(404, schema=s.Problem, description="No provider has this id.")
    def get(self, args: dict, provider_id: str):
        """One provider's full listing from the system of record, with reviews paginated."""
        detail = provider_detail(current_app.extensions["store"], provider_id, **args)
        if detail is None:
            return problem(404, "Not Found", f"No provider with id {provider_id!r}.")
        detail["url"] = profile_url(detail["slug"])
        return json_response(detail)


@blp.route("/providers/export")
class Export(MethodView):
    @blp.arguments(s.ExportArgs(), location="query")
    @blp.response(
        200,
        description="NDJSON: one listing per line, oldest change first.",
        content_type="application/x-ndjson",
    )
    def get(self, args: dict):
        """Stream every listing changed since a time, for partners keeping a mirror in sync."""
        engine = current_app.extensions["store"]
        since = args["updated_since"].astimezone(UTC)

        def lines():
            with Session(engine) as session:
                for record in listings.export(session, since):
                    yield json.dumps(record, ensure_ascii=False) + "\n"

        return Response(stream_with_context(lines()), mimetype="application/x-ndjson")


@blp.route("/suggest")
class Suggest(MethodView):
    @blp.arguments(s.SuggestArgs(), location="query")
    @blp.response(200, s.SuggestResponse)
    def get(self, args: dict):
        """Autocomplete over clinic names, cities and treatments while the user types."""
        items = suggest(
            current_app.extensions["elasticsearch"],
            current_app.config["SETTINGS"].index,
            args["q"],
            args["limit"],
        )
        for item in items:
            if item["type"] == "clinic":
                item["url"] = profile_url(item["slug"])
            item.pop("slug", None)
        return json_response({"suggestions": items}, max_age=300)
