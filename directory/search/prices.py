"""Prices in search: which price the `max_price` filter, the price facet and a result card read.

The search document carries each treatment's price per session (`treatment_price.<code>`, see
indexer.mapping) and the clinic's price across treatments (`price`). When a search names a
treatment, its filter, facet and cards use THAT treatment's price; otherwise the clinic's
cheapest session. Either way the filter reads the starting price ("from $X a session"): a
clinic matches `max_price=300` when some session of the treatment costs $300 or less, even if
its dearest option costs more. With several treatments named, each must start at or below it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from directory.search.query import SearchQuery

# Bands of the price facet: (key, from, to) in dollars per session.
PRICE_BANDS = [
    ("under-200", None, 200),
    ("200-400", 200, 400),
    ("400-600", 400, 600),
    ("600-plus", 600, None),
]


def price_field(treatment: str | None) -> str:
    """The document field holding the starting price per session (of `treatment`, when given)."""
    return f"treatment_price.{treatment}.min" if treatment else "price.min"


def max_price_filters(query: SearchQuery) -> list[dict]:
    """Range filters for `max_price`: the starting price of every named treatment, else the cheapest."""
    if query.max_price is None:
        return []
    fields = [price_field(code) for code in query.treatment] or [price_field(None)]
    return [{"range": {field: {"lte": query.max_price}}} for field in fields]


def price_facet(query: SearchQuery) -> dict:
    """The price bands' counts, over the starting price of the first named treatment (or cheapest)."""
    ranges = [
        {"key": key, **({"from": lo} if lo is not None else {}), **({"to": hi} if hi is not None else {})}
        for key, lo, hi in PRICE_BANDS
    ]
    field = price_field(query.treatment[0] if query.treatment else None)
    return {"range": {"field": field, "keyed": True, "ranges": ranges}}


def card_price(src: dict, treatment: str | None) -> dict | None:
    """The price a result card shows: {min, max, currency, treatment, basis, sessions} per session
    for the searched treatment when it has one, else the clinic's range across its treatments."""
    own = (src.get("treatment_price") or {}).get(treatment) if treatment else None
    if own:
        return {**own, "treatment": treatment}
    overall = src.get("price")
    return {**overall, "treatment": None} if overall else None
