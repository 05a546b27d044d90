"""How the results page helps people refine a search: facet counts for every option, and ways
out of an empty result (a radius that reaches the nearest match, the count without filters).

Nothing here builds Elasticsearch queries: it varies the SearchQuery and asks the search core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from directory.context import search_providers
from directory.search import SearchQuery
from directory.search.query import KM_PER_MILE, MAX_RADIUS_KM

RADIUS_STEPS_MI = (5, 10, 25, 50, 100)
# The filters a person can switch off one by one (each becomes a removable chip on the page).
FILTER_DEFAULTS = {
    "treatment": [],
    "certification": [],
    "qualified": False,
    "min_rating": None,
    "min_reviews": None,
    "max_price": None,
    "open_now": False,
}


def has_filters(query: SearchQuery) -> bool:
    return any(getattr(query, name) != default for name, default in FILTER_DEFAULTS.items())


def facet_counts(facets: dict | None) -> dict[str, dict[str, int]]:
    """{"treatment": {"microneedling": 12, ...}, ...}: options missing from a facet have no matches."""
    return {name: {f["value"]: f["count"] for f in buckets} for name, buckets in (facets or {}).items()}


@dataclass
class WayOut:
    """A suggestion for an empty result: the parameters to change and what the person will find."""

    text: str
    changes: dict


def ways_out(query: SearchQuery) -> list[WayOut]:
    """At most two extra searches, only for an empty result: nothing is suggested that finds nothing."""
    out: list[WayOut] = []
    if query.origin and not query.bbox and query.radius < MAX_RADIUS_KM:
        widest = replace(query, radius=MAX_RADIUS_KM, sort="distance", limit=1, page=1, facets=False)
        nearest = search_providers(widest).items
        if nearest:
            miles = nearest[0]["distance_km"] / KM_PER_MILE
            step = next((s for s in RADIUS_STEPS_MI if s >= math.ceil(miles)), RADIUS_STEPS_MI[-1])
            where = f"{nearest[0]['address']['city']}, {nearest[0]['address']['state']}"
            out.append(
                WayOut(
                    f"Search within {step} miles: the nearest match is {miles:.0f} miles away, in {where}",
                    {"radius": f"{step}mi"},
                )
            )
    if has_filters(query):
        unfiltered = replace(query, **FILTER_DEFAULTS, limit=1, page=1, facets=False)
        total = search_providers(unfiltered).total
        if total:
            noun = "provider" if total == 1 else "providers"
            out.append(
                WayOut(
                    f"Remove all filters: {total} {noun} {_scope(query)}",
                    {name: None for name in FILTER_DEFAULTS},
                )
            )
    return out


def _scope(query: SearchQuery) -> str:
    if query.bbox:
        return "in this map area"
    if query.origin:
        return f"within {round(query.radius / KM_PER_MILE, 1):g} miles"
    return "in the directory"
