"""Cost guide pages: /costs/, /costs/<treatment>/, /costs/<treatment>/<state>/ and
/costs/<treatment>/<state>/<city>/. Thin: every number comes from the search core
(directory.search.costs), the clinics listed from the one search (directory.context).

A city's guide counts the clinics within CITY_RADIUS_MI of the city's centre (as the API does
around a place); a state's, the clinics in the state; the nation's, every clinic.
"""

from __future__ import annotations

import math

from elasticsearch import ApiError, TransportError
from flask import Blueprint, Response, abort, current_app, render_template, url_for

from directory import jsonld
from directory.context import es, geocoder, search_providers, settings
from directory.present import money
from directory.search import SearchQuery
from directory.search.costs import CostQuery, cost_guides, guide_places, places
from directory.search.query import KM_PER_MILE
from registry import vocabulary
from registry.derive import slugify
from registry.geocode import STATES

bp = Blueprint("costs", __name__)

CITY_RADIUS_MI = 25
MIN_CLINICS = 3  # fewer priced clinics than this: no numbers, only where to look instead
NEARBY_CLINICS = 8
SITEMAP_LIMIT = 50_000  # the sitemap protocol's limit per file


def treatment_or_404(code: str) -> str:
    if code not in vocabulary.treatments():
        abort(404)
    return code


def state_or_404(slug: str) -> str:
    state = slug.upper()
    if slug != slug.lower() or state not in STATES:
        abort(404)
    return state


def guide_url(treatment: str, state: str | None = None, city: str | None = None, **kw) -> str:
    """The cost guide's address for a treatment, optionally in a state and a city."""
    if city:
        return url_for("costs.city", treatment=treatment, state=state.lower(), city=slugify(city), **kw)
    if state:
        return url_for("costs.state", treatment=treatment, state=state.lower(), **kw)
    return url_for("costs.treatment", treatment=treatment, **kw)


@bp.get("/costs/")
def index():
    """Every treatment with its national typical price."""
    codes = list(vocabulary.treatments())
    guides = cost_guides(es(), settings().index, [CostQuery(code) for code in codes])
    return render_template("costs/index.html", guides=guides, min_clinics=MIN_CLINICS)


@bp.get("/costs/<treatment>/")
def treatment(treatment: str):
    code = treatment_or_404(treatment)
    (guide,) = cost_guides(es(), settings().index, [CostQuery(code)])
    states = [
        {**s, "name": STATES.get(s["value"], s["value"]), "url": guide_url(code, s["value"])}
        for s in places(es(), settings().index, code)
    ]
    return render_guide(guide, [], links=("States", states))


@bp.get("/costs/<treatment>/<state>/")
def state(treatment: str, state: str):
    code, st = treatment_or_404(treatment), state_or_404(state)
    guide, nation = cost_guides(
        es(), settings().index, [CostQuery(code, state=st, place=STATES[st]), CostQuery(code)]
    )
    cities = [
        {**c, "name": c["value"], "url": guide_url(code, st, c["value"])}
        for c in places(es(), settings().index, code, st)
    ]
    return render_guide(guide, [("the nation", nation)], links=("Cities", cities))


@bp.get("/costs/<treatment>/<state>/<city>/")
def city(treatment: str, state: str, city: str):
    code, st = treatment_or_404(treatment), state_or_404(state)
    name = city_name(code, st, city)
    found = geocoder().geocode(f"{name}, {st}")
    if found is None:
        abort(404)
    radius_km = CITY_RADIUS_MI * KM_PER_MILE
    here = CostQuery(code, found.latitude, found.longitude, radius_km, place=f"{name}, {st}")
    guide, in_state, nation = cost_guides(
        es(), settings().index, [here, CostQuery(code, state=st, place=STATES[st]), CostQuery(code)]
    )
    return render_guide(
        guide,
        [(STATES[st], in_state), ("the nation", nation)],
        clinics=nearby_clinics(code, found.latitude, found.longitude, radius_km),
    )


def nearby_guides(detail: dict) -> dict[str, dict]:
    """{treatment: cost guide within CITY_RADIUS_MI of the listing} for each treatment it offers;
    empty when search is unavailable (the profile itself comes from the store)."""
    loc, codes = detail.get("location"), [t["code"] for t in detail["treatments"]]
    if not loc or not codes:
        return {}
    radius_km = CITY_RADIUS_MI * KM_PER_MILE
    queries = [
        CostQuery(code, loc["lat"], loc["lon"], radius_km, place=detail["address"]["city"]) for code in codes
    ]
    try:
        return dict(zip(codes, cost_guides(es(), settings().index, queries), strict=True))
    except (TransportError, ApiError):
        current_app.logger.warning("cost guides for the profile unavailable", exc_info=True)
        return {}


def results_hint(query: SearchQuery) -> dict | None:
    """For a search of one treatment around a point: its cost guide there (same radius), with the
    address of the nearest guide page. None otherwise, or when search is unavailable."""
    if len(query.treatment) != 1 or query.origin is None or query.bbox:
        return None
    code = query.treatment[0]
    here = CostQuery(code, query.lat, query.lon, query.radius, place=query.location or "here")
    try:
        (guide,) = cost_guides(es(), settings().index, [here])
    except (TransportError, ApiError):
        current_app.logger.warning("cost hint unavailable", exc_info=True)
        return None
    place = (query.location or "").rsplit(",", 1)
    state = place[-1].strip().upper() if len(place) == 2 else ""
    city = place[0].strip() if state in STATES else None
    guide["url"] = guide_url(code, state, city) if city else guide_url(code)
    return guide


@bp.app_template_global("cost_guide_url")
def template_guide_url(treatment: str, state: str, city: str | None = None) -> str:
    """A treatment's guide for a listing's place: its city's when that has a guide page, else its state's."""
    return guide_url(treatment, state, city) if state.upper() in STATES else guide_url(treatment)


@bp.get("/sitemaps/costs.xml")
def sitemap():
    """Every cost guide with at least MIN_CLINICS priced clinics (treatment, state, city)."""
    entries = [{"loc": url_for("costs.index", _external=True)}]
    for code, found in guide_places(es(), settings().index, MIN_CLINICS).items():
        if found:
            entries.append({"loc": guide_url(code, _external=True)})
        entries += [{"loc": guide_url(code, state, city, _external=True)} for state, city in found]
    entries = entries[:SITEMAP_LIMIT]
    return Response(render_template("sitemap.xml", entries=entries), mimetype="application/xml")


def city_name(code: str, state: str, slug: str) -> str:
    """The city's name as listed, from its slug ('winston-salem' -> 'Winston-Salem'), else as the
    gazetteer knows it; 404 for a place it does not know."""
    for place in places(es(), settings().index, code, state):
        if slugify(place["value"]) == slug:
            return place["value"]
    words = slug.replace("-", " ")
    if slug == slugify(words) and geocoder().geocode(f"{words}, {state}") is not None:
        return words.title()  # a place we know where no listed clinic prices it: said so on the page
    abort(404)


def nearby_clinics(code: str, lat: float, lon: float, radius_km: float) -> list[dict]:
    """The best-ranked clinics offering the treatment around the city, with their price for it."""
    query = SearchQuery(
        lat=lat, lon=lon, radius=radius_km, treatment=[code], limit=NEARBY_CLINICS, facets=False
    )
    try:
        return search_providers(query).items
    except (TransportError, ApiError):
        current_app.logger.warning("clinics for the cost guide unavailable", exc_info=True)
        return []


def render_guide(guide: dict, comparisons: list[tuple[str, dict]], links=None, clinics=()):
    """One guide page: the numbers in words, the chart, comparisons, clinics, links to narrower guides."""
    code, state = guide["treatment"], guide["state"]
    city = guide["place"].rsplit(", ", 1)[0] if guide["location"] else None
    if city:
        state = guide["place"].rsplit(", ", 1)[1]
    crumbs = [("Cost guides", url_for("costs.index")), (guide["treatment_name"], guide_url(code))]
    if state:
        crumbs.append((STATES[state], guide_url(code, state)))
    if city:
        crumbs.append((city, guide_url(code, state, city)))
    canonical = guide_url(code, state, city, _external=True)
    enough = guide["count"] >= MIN_CLINICS
    return render_template(
        "costs/guide.html",
        guide=guide,
        enough=enough,
        min_clinics=MIN_CLINICS,
        chart=chart(guide) if enough else None,
        comparisons=[(label, g) for label, g in comparisons if g["count"] >= MIN_CLINICS],
        links=links,
        clinics=clinics,
        crumbs=crumbs,
        canonical=canonical,
        radius_mi=CITY_RADIUS_MI,
        search_url=url_for(
            "pages.search_page",
            treatment=code,
            **({"location": guide["place"]} if city else {}),
        ),
        jsonld=jsonld.script_tag(guide_jsonld(guide, crumbs, canonical)) if enough else "",
    )


def guide_jsonld(guide: dict, crumbs: list[tuple[str, str]], url: str) -> list[dict]:
    """A treatment's price range in the place (AggregateOffer of the middle 80%) and the breadcrumbs."""
    root = url_for("pages.home", _external=True).rstrip("/")
    return [
        {
            "@context": "https://schema.org",
            "@type": "Service",
            "name": f"{guide['treatment_name']} in {guide['place']}",
            "serviceType": guide["treatment_name"],
            "areaServed": guide["place"],
            "url": url,
            "offers": {
                "@type": "AggregateOffer",
                "priceCurrency": guide["currency"],
                "lowPrice": guide["p10"],
                "highPrice": guide["p90"],
                "offerCount": guide["count"],
                "priceSpecification": {
                    "@type": "UnitPriceSpecification",
                    "price": guide["median"],
                    "priceCurrency": guide["currency"],
                    "unitText": "session",
                },
            },
        },
        {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": i, "name": name, "item": root + href}
                for i, (name, href) in enumerate(crumbs, 1)
            ],
        },
    ]


# --- the price distribution chart (server-rendered SVG) --------------------------------------

# Two drawings of the same chart: wide for desktops, narrow (bigger type for its size) for phones;
# CSS shows one. (width, height, left, right, top, bottom, most price labels)
SHAPES = {"wide": (640, 270, 44, 30, 32, 52, 7), "narrow": (360, 260, 34, 22, 32, 50, 4)}


def chart(guide: dict) -> dict:
    """The histogram drawn at each size of SHAPES."""
    return {name: _chart(guide, *shape) for name, shape in SHAPES.items()}


def _chart(guide, WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, labels) -> dict:  # noqa: N803
    """Geometry of the histogram: one bar per bin, the middle half shaded, the median marked."""
    bins = guide["histogram"]
    tallest = max(b["count"] for b in bins)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    low, high = bins[0]["from"], bins[-1]["to"]

    def x(price: float) -> float:
        return round(LEFT + (price - low) / (high - low) * plot_w, 1)

    step = max(1, math.ceil(tallest / 4))
    bars = []
    for b in bins:
        h = round(b["count"] / tallest * plot_h, 1)
        noun = "clinic" if b["count"] == 1 else "clinics"
        bars.append(
            {
                "x": x(b["from"]) + 1,
                "width": max(1.0, round(x(b["to"]) - x(b["from"]) - 2, 1)),
                "y": round(TOP + plot_h - h, 1),
                "height": h,
                "label": f"{money(b['from'])}–{money(b['to'])}: {b['count']} {noun}",
                "count": b["count"],
            }
        )
    every = max(1, math.ceil((len(bins) + 1) / labels))
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bars": bars,
        "band": {"x": x(guide["p25"]), "width": round(x(guide["p75"]) - x(guide["p25"]), 1)},
        "median": x(guide["median"]),
        "top": TOP,
        "base": TOP + plot_h,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "ticks": [
            {"x": x(low + i * (high - low) / len(bins)), "label": money(low + i * (high - low) / len(bins))}
            for i in range(0, len(bins) + 1, every)
        ],
        "counts": [
            {"y": round(TOP + plot_h - n / tallest * plot_h, 1), "label": n}
            for n in range(0, tallest + 1, step)
        ],
    }
