"""Partner API views: thin wrappers that validate, call the search core or the store, reply."""

from __future__ import annotations

import json
from datetime import UTC, date

import orjson
import xxhash
from flask import Response, request, stream_with_context, url_for
from flask.views import MethodView

from directory import freshness
from directory.api import blp
from directory.api import schemas as s
from directory.context import es, geocoder, search_providers, settings, store
from directory.listing import provider_detail
from directory.problems import PROBLEM_TYPE, problem
from directory.search import SearchQuery, costs
from directory.search.args import SearchArgs
from directory.search.core import suggest
from registry import listings

CACHE_SECONDS = 60


def problem_response(status: int, description: str):
    """Documents an error answer of an operation: the Problem schema as application/problem+json."""
    return blp.alt_response(status, schema=s.Problem, content_type=PROBLEM_TYPE, description=description)


def json_response(payload: dict, max_age: int = CACHE_SECONDS) -> Response:
    """JSON with an ETag (304 on a match) and a short cache lifetime.

    The ETag is a digest of the body, compared with If-None-Match here: Werkzeug's
    add_etag + make_conditional do the same and more (ranges, dates) at twice the CPU. The digest
    is XXH3's 128 bits: no one gains by forging a tag for their own cache, and it hashes a page
    of 20 results in 1 µs where BLAKE2b took 60 (benchmarks/README.md).
    """
    body = orjson.dumps(payload)
    etag = xxhash.xxh3_128_hexdigest(body)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.max_age = max_age
    response.vary.add("X-API-Key")
    return response


def profile_url(slug: str) -> str:
    return url_for("pages.profile", slug=slug, _external=True)


@blp.route("/providers")
class Providers(MethodView):
    @blp.arguments(SearchArgs(), location="query", as_kwargs=False)
    @blp.response(200, s.SearchResponse)
    @problem_response(400, "A parameter is invalid or the place is unknown.")
    @problem_response(503, "The search engine is unavailable.")
    def get(self, query: SearchQuery):
        """Search providers near a place, in a map area, or by text and filters."""
        results = search_providers(query)
        prefix = profile_url("_")[:-1]  # one url_for per response, not per result
        today = date.today()
        for item in results.items:
            item["url"] = prefix + item["slug"]
            item["facts"] = freshness.annotate(item["facts"], today)
        payload = {
            "total": results.total,
            "next_cursor": results.next_cursor,
            "origin": results.origin,
            "interpreted": results.interpreted,
            "results": results.items,
            "facets": results.facets,
        }
        return json_response(payload, max_age=0 if query.open_now else CACHE_SECONDS)


@blp.route("/costs")
class Costs(MethodView):
    @blp.arguments(costs.CostArgs(), location="query", as_kwargs=False)
    @blp.response(200, s.CostGuide)
    @problem_response(400, "A parameter is invalid or the place is unknown.")
    @problem_response(503, "The search engine is unavailable.")
    def get(self, query: costs.CostQuery):
        """What clinics charge for a treatment per session around a place, in a state or nationwide.

        Each clinic counts once, with its typical price: the midpoint of its price range per
        session for the treatment (a package's price is divided by its sessions; a clinic's
        general price_range stands in for treatments without a price of their own). Percentiles
        interpolate linearly between closest ranks, exactly from every price (see `exact`).
        """
        (guide,) = costs.cost_guides(es(), settings().index, [costs.resolve(query, geocoder())])
        return json_response(guide)


@blp.route("/providers/<provider_id>")
class Provider(MethodView):
    @blp.arguments(s.ReviewArgs(), location="query")
    @blp.response(200, s.ProviderDetail)
    @problem_response(404, "No provider has this id.")
    def get(self, args: dict, provider_id: str):
        """One provider's full listing from the system of record, with reviews paginated."""
        detail = provider_detail(store(), provider_id, **args)
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
        records = listings.export(store(), args["updated_since"].astimezone(UTC))
        # A lone surrogate in a listing stored before the text rule held cannot be UTF-8: it goes
        # out as its JSON escape, so one old row never cuts every partner's stream short.
        lines = (
            (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")
            for record in records
        )

        return Response(stream_with_context(lines), mimetype="application/x-ndjson")


@blp.route("/suggest")
class Suggest(MethodView):
    @blp.arguments(s.SuggestArgs(), location="query")
    @blp.response(200, s.SuggestResponse)
    def get(self, args: dict):
        """Autocomplete while the user types: treatments and credentials, places, clinics."""
        origin = {"lat": args["lat"], "lon": args["lon"]} if "lat" in args else None
        items = suggest(es(), settings().index, args["q"], args["limit"], origin)
        for item in items:
            if item["type"] == "clinic":
                item["url"] = profile_url(item["slug"])
            item.pop("slug", None)
        return json_response({"suggestions": items}, max_age=300)
