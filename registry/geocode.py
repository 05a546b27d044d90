"""Addresses -> coordinates: offline US gazetteer by default, geopy online services by choice."""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import zipcodes
from geopy.exc import GeopyError
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from registry.settings import DEFAULT_GAZETTEER_CACHE, ROOT

log = logging.getLogger(__name__)

# The 50 states and DC; TERRITORIES have ZIP codes too.
STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
TERRITORIES = {
    "PR": "Puerto Rico", "VI": "Virgin Islands", "GU": "Guam", "AS": "American Samoa",
    "MP": "Northern Mariana Islands", "FM": "Federated States of Micronesia",
    "MH": "Marshall Islands", "PW": "Palau",
}  # fmt: skip

# USPS writes "Saint Petersburg" while people write "St. Petersburg": fold both to one spelling.
_WORD_FORMS = {"saint": "st", "sainte": "ste", "fort": "ft", "mount": "mt"}
_WORD_FORMS_RE = re.compile(r"\b(?:" + "|".join(_WORD_FORMS) + r")\b")
_COUNTRY_RE = re.compile(r"[ ,](?:usa|us|united states(?: of america)?)$")
_ZIP_RE = re.compile(r"(?:^|[ ,])(\d{5})(?: ?\d{4})?$")


def _norm(text: str) -> str:
    """Fold case, accents, punctuation and saint/st so equal places spell equal; keep commas."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    # Apostrophes and hyphens become spaces, as USPS writes "O Fallon" and "Coeur D Alene".
    text = re.sub(r"[^a-z0-9,]+", " ", text)
    text = _WORD_FORMS_RE.sub(lambda m: _WORD_FORMS[m[0]], text)
    return ",".join(part for part in (" ".join(s.split()) for s in text.split(",")) if part)


_STATE_LOOKUP = {_norm(name): code for code, name in (STATES | TERRITORIES).items()} | {
    code.lower(): code for code in STATES | TERRITORIES
}
_MAX_STATE_WORDS = max(len(name.split()) for name in _STATE_LOOKUP)


@dataclass(frozen=True, slots=True)
class Place:
    """A ZIP centroid (postal_code set) or a city: the mean of its ZIP centroids."""

    name: str
    state: str
    lat: float
    lon: float
    timezone: str | None
    postal_code: str | None = None
    zip_count: int = 1
    alias: bool = False  # known only as a USPS "acceptable" name of another city's ZIPs

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


@dataclass(frozen=True)
class Gazetteer:
    """The lookup tables behind OfflineGeocoder, keyed by normalised names."""

    zips: dict[str, Place]
    cities: dict[tuple[str, str], Place]  # (name, state code)
    by_name: dict[str, list[Place]]  # name -> places in every state, biggest first
    max_city_words: int


def _city(name: str, state: str, members: list[Place], alias: bool = False) -> Place:
    timezones = [p.timezone for p in members if p.timezone]
    return Place(
        name=name,
        state=state,
        lat=sum(p.lat for p in members) / len(members),
        lon=sum(p.lon for p in members) / len(members),
        # A few cities straddle a time zone line: take the zone most of their ZIPs are in.
        timezone=max(set(timezones), key=timezones.count) if timezones else None,
        zip_count=len(members),
        alias=alias,
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    # The build allocates a few hundred thousand small objects and no cycles: collections
    # triggered along the way would only rescan them, doubling the build time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def gazetteer(rows_cache: Path = DEFAULT_GAZETTEER_CACHE) -> Gazetteer:
    """The US gazetteer from the ZIP data shipped with `zipcodes`, built once per process."""
    return _gazetteer(Path(rows_cache))


@cache
def _gazetteer(rows_cache: Path) -> Gazetteer:
    with _gc_paused():
        return _build(_zip_rows(rows_cache))


# Only the fields the gazetteer uses. zipcodes.list_all() parses its whole data set into
# 1.4 million objects (a peak of ~280 MiB RSS that a server process never gives back), so a
# short-lived subprocess extracts these rows once into a small cache file that processes read.
ROW_FIELDS = ("zip_code", "zip_code_type", "city", "state", "lat", "long", "timezone", "acceptable_cities")


def _zip_rows(rows_cache: Path) -> list[dict]:
    path = rows_cache / f"zip-rows-{zipcodes.__version__}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from registry.geocode import write_zip_rows; write_zip_rows({str(path)!r})",
            ],
            check=True,
            cwd=ROOT,
        )
    return [dict(zip(ROW_FIELDS, row, strict=True)) for row in json.loads(path.read_text())]


def write_zip_rows(path: str) -> None:
    """Extract the gazetteer's fields from zipcodes into `path` (written atomically)."""
    rows = [[row[f] for f in ROW_FIELDS] for row in zipcodes.list_all()]
    tmp = Path(f"{path}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(rows, separators=(",", ":")))
    tmp.replace(path)


def _build(rows: list[dict]) -> Gazetteer:
    norm = cache(_norm)  # city names repeat across ZIPs: normalise each spelling once
    zips: dict[str, Place] = {}
    members: dict[tuple[str, str], list[Place]] = defaultdict(list)
    alias_members: dict[tuple[str, str], list[Place]] = defaultdict(list)
    spelling: dict[tuple[str, str], str] = {}
    for row in rows:
        lat, lon = float(row["lat"]), float(row["long"])
        # APO/FPO ZIPs and a few retired ones sit at 0,0: no place on the map.
        if row["zip_code_type"] == "MILITARY" or (lat == 0 and lon == 0):
            continue
        place = Place(row["city"], row["state"], lat, lon, row["timezone"] or None, row["zip_code"])
        zips[row["zip_code"]] = place
        key = (norm(row["city"]), row["state"])
        members[key].append(place)
        spelling.setdefault(key, row["city"])
        for alias in row["acceptable_cities"]:
            alias_key = (norm(alias), row["state"])
            if alias_key != key:
                alias_members[alias_key].append(place)
                spelling.setdefault(alias_key, alias)

    cities = {key: _city(spelling[key], key[1], zs) for key, zs in members.items()}
    for key, zs in alias_members.items():
        if key not in cities:  # a city's own ZIPs beat another city's alias
            cities[key] = _city(spelling[key], key[1], zs, alias=True)

    by_name: dict[str, list[Place]] = defaultdict(list)
    for (name, _), place in cities.items():
        by_name[name].append(place)
    for places in by_name.values():
        places.sort(key=lambda p: (p.alias, -p.zip_count, p.state))
    return Gazetteer(
        zips=zips,
        cities=cities,
        by_name=dict(by_name),
        max_city_words=max(len(name.split()) for name, _ in cities),
    )


@dataclass(frozen=True, slots=True)
class _Query:
    postal_code: str | None
    state: str | None
    place: str  # the last comma-separated part left once ZIP and state are taken off
    rest: str  # the whole normalised query without ZIP and country


def _parse(query: str) -> _Query:
    text = _COUNTRY_RE.sub("", _norm(query))
    postal_code = None
    if match := _ZIP_RE.search(text):
        postal_code, text = match[1], text[: match.start()]
    rest = text
    parts = text.split(",") if text else []
    state = None
    if parts:
        words = parts[-1].split()
        # Longest first, so "west virginia" wins over "virginia".
        for n in range(min(_MAX_STATE_WORDS, len(words)), 0, -1):
            if code := _STATE_LOOKUP.get(" ".join(words[-n:])):
                state = code
                parts[-1] = " ".join(words[:-n])
                break
    parts = [p for p in parts if p]
    return _Query(postal_code, state, parts[-1] if parts else "", rest)


class OfflineGeocoder(Geocoder):
    """US ZIPs and cities from the bundled `zipcodes` data: no network, microseconds per query."""

    def __init__(self, gazetteer_cache: Path = DEFAULT_GAZETTEER_CACHE) -> None:
        super().__init__()
        self.gazetteer_cache = gazetteer_cache

    def geocode(
        self, query: str, exactly_one: bool = True, timeout: float | None = None
    ) -> Location | list[Location] | None:
        """Locate a ZIP, "City, ST", a bare city name, or a street address ending in either."""
        # `timeout` is part of geopy's interface; nothing here waits on anything.
        places = self._places(_parse(query))
        if not places:
            return None
        if exactly_one:
            return _location(places[0])
        return [_location(p) for p in places]

    def _places(self, q: _Query) -> list[Place]:
        g = gazetteer(self.gazetteer_cache)
        if q.postal_code in g.zips:
            return [g.zips[q.postal_code]]
        if q.state:
            # The city may share its part with a street ("1 Main St Charlotte"): try the
            # longest run of trailing words first, so "West Palm Beach" beats "Palm Beach".
            words = q.place.split()
            for start in range(max(0, len(words) - g.max_city_words), len(words)):
                if place := g.cities.get((" ".join(words[start:]), q.state)):
                    return [place]
        # A bare name picks the biggest city called that; a lone "Washington" or "New York"
        # names a city, not a state. With commas but no state ("Toronto, Ontario") it is
        # more likely abroad than in the US.
        if "," in q.rest:
            return []
        return g.by_name.get(q.rest, [])


def _location(place: Place) -> Location:
    kind = "zip" if place.postal_code else "city"
    address = f"{place.label} {place.postal_code}" if place.postal_code else place.label
    raw = {
        "kind": kind,
        "city": place.name,
        "state": place.state,
        "postal_code": place.postal_code,
        "timezone": place.timezone,
        "zip_count": place.zip_count,
    }
    return Location(address, (place.lat, place.lon), raw)


def make_geocoder(
    name: str = "offline", *, gazetteer_cache: Path = DEFAULT_GAZETTEER_CACHE, **options
) -> Geocoder:
    """Build the geocoder called `name`: the offline gazetteer (rows cached in `gazetteer_cache`).

    Any other name is a geopy service ("nominatim", "googlev3", ...) built with `options`
    (user_agent, api_key, timeout, ...). Online services are opt-in: they need network
    access, are rate-limited, and most need credentials.
    """
    if name == "offline":
        return OfflineGeocoder(gazetteer_cache)
    return get_geocoder_for_service(name)(**options)


def _cache_key(query: str) -> str:
    return re.sub(r"\s*,\s*", ", ", " ".join(query.lower().split()))


def _to_json(location: Location | None) -> dict | None:
    if location is None:
        return None
    return {
        "address": location.address,
        "point": [location.latitude, location.longitude],
        "raw": location.raw,
    }


def _from_json(entry: dict | None) -> Location | None:
    if entry is None:
        return None
    return Location(entry["address"], tuple(entry["point"]), entry["raw"])


class CachedGeocoder:
    """Any geocoder, its answers (even "not found") kept in memory and optionally on disk."""

    def __init__(self, geocoder: Geocoder, path: str | Path | None = None) -> None:
        self.geocoder = geocoder
        self.path = Path(path) if path else None
        self._cache: dict[str, Location | None] = {}
        if self.path and self.path.exists():
            try:
                entries = json.loads(self.path.read_text(encoding="utf-8"))
                self._cache = {key: _from_json(entry) for key, entry in entries.items()}
            except (ValueError, KeyError, TypeError, AttributeError) as err:
                # Only a cache: a damaged file costs lookups, not correctness.
                log.warning("ignoring unreadable geocode cache %s: %s", self.path, err)

    def __len__(self) -> int:
        return len(self._cache)

    def geocode(self, query: str) -> Location | None:
        """The wrapped geocoder's answer for `query`, asked at most once per normalised query."""
        key = _cache_key(query)
        if not key:
            return None
        if key in self._cache:
            return self._cache[key]
        try:
            location = self.geocoder.geocode(query)
        except GeopyError as err:
            # Timeouts and quota errors are not answers: treat as not found now, but do not
            # cache them, so the next run asks again.
            log.warning("geocoding %r failed: %s", query, err)
            return None
        self._cache[key] = location
        return location

    def save(self) -> None:
        """Write the cache to its JSON file, if it has one."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entries = {key: _to_json(location) for key, location in self._cache.items()}
        # Write beside and rename, so a crash mid-write never leaves a truncated cache.
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(entries, default=str), encoding="utf-8")
        os.replace(partial, self.path)


def address_query(address: dict) -> str:
    """One query line for a record address, e.g. "1 Main St, Charlotte, NC 28202"."""

    def part(key: str) -> str:
        value = address.get(key)
        return value.strip() if isinstance(value, str) else ""

    region = " ".join(p for p in (part("state"), part("postal_code")) if p)
    country = part("country")
    foreign = country if country.upper() not in ("", "US") else ""
    return ", ".join(p for p in (part("street"), part("city"), region, foreign) if p)


def geocode_address(geocoder: Geocoder | CachedGeocoder, address: dict) -> tuple[float, float] | None:
    """(lat, lon) of an address: the full line, else its ZIP alone, else its city and state."""
    country = address.get("country")
    queries = [address_query(address)]
    if address.get("postal_code"):
        queries.append(address_query({"postal_code": address["postal_code"], "country": country}))
    if address.get("city"):
        city = {"city": address["city"], "state": address.get("state"), "country": country}
        queries.append(address_query(city))
    for query in dict.fromkeys(q for q in queries if q):  # in order, each once
        location = geocoder.geocode(query)
        if location is not None:
            return (location.latitude, location.longitude)
    return None
