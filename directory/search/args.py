"""Search parameters, validated once for the API and the pages alike."""

from __future__ import annotations

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from directory.search.query import (
    DEFAULT_RADIUS_KM,
    DEFAULT_RADIUS_MI,
    KM_PER_MILE,
    MAX_RADIUS_KM,
    MAX_WINDOW,
    SORTS,
    BBox,
    SearchQuery,
)
from registry import vocabulary

UNITS_KM = {"km": 1.0, "mi": KM_PER_MILE, "m": 0.001}
DISTANCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km|mi|m)\s*$", re.IGNORECASE)


class Distance(fields.Field):
    """'10mi', '25km' or '800m', returned in kilometres."""

    def _deserialize(self, value, attr, data, **kwargs) -> float:
        match = DISTANCE.match(str(value))
        if not match:
            raise ValidationError("Use a number and a unit, like 10mi, 25km or 800m.")
        km = float(match.group(1)) * UNITS_KM[match.group(2).lower()]
        if not 0 < km <= MAX_RADIUS_KM:
            raise ValidationError(f"Must be above 0 and at most {MAX_RADIUS_KM:g} km (100mi).")
        return km


class BBoxField(fields.Field):
    """'west,south,east,north' in degrees (GeoJSON order)."""

    def _deserialize(self, value, attr, data, **kwargs) -> BBox:
        try:
            west, south, east, north = (float(x) for x in str(value).split(","))
        except ValueError as err:
            raise ValidationError("Use four numbers: west,south,east,north.") from err
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            raise ValidationError("Longitudes must be between -180 and 180.")
        if not (-90 <= south < north <= 90):
            raise ValidationError("Latitudes must be between -90 and 90, south below north.")
        return BBox(west, south, east, north)


class SearchArgs(Schema):
    """Query-string parameters of GET /api/v1/providers and of the /search page."""

    class Meta:
        unknown = EXCLUDE

    lat = fields.Float(validate=validate.Range(-90, 90), metadata={"description": "Latitude of the centre."})
    lon = fields.Float(
        validate=validate.Range(-180, 180), metadata={"description": "Longitude of the centre."}
    )
    location = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": 'A place to search around: "Charlotte, NC", "28202" or an address.'},
    )
    bbox = BBoxField(
        metadata={"description": "Map area west,south,east,north (degrees).", "example": "-81,35,-80.5,35.4"}
    )
    radius = Distance(
        load_default=DEFAULT_RADIUS_KM,
        metadata={
            "description": f"Distance with unit (mi, km, m); default {DEFAULT_RADIUS_MI}mi, at most 100mi.",
            "example": "10mi",
        },
    )
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={
            "description": 'What people type in one box, e.g. "botox near tampa" or "vampire facial 33602": '
            "treatments and credentials named become filters (like `treatment` and `certification`), "
            "a place becomes the search centre when no other is given, the other words are matched with "
            "typos tolerated. `interpreted` in the response says what was understood."
        },
    )
    literal = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Match `q` as plain text: no treatment, credential or place is read from it."
        },
    )
    treatment = fields.List(
        fields.String(validate=validate.OneOf(sorted(vocabulary.treatments()))),
        load_default=list,
        metadata={"description": "Treatment code; repeat to require several (all must be offered)."},
    )
    certification = fields.List(
        fields.String(validate=validate.OneOf(sorted(vocabulary.certifications()))),
        load_default=list,
        metadata={
            "description": "Credential code; repeat for any of several. Only verified, unexpired ones match."
        },
    )
    qualified = fields.Boolean(
        load_default=False, metadata={"description": "Only providers with a verified, unexpired credential."}
    )
    min_rating = fields.Float(
        validate=validate.Range(1, 5), metadata={"description": "Mean review rating at least this."}
    )
    min_reviews = fields.Integer(
        validate=validate.Range(0, 1_000_000), metadata={"description": "At least this many reviews."}
    )
    max_price = fields.Float(
        validate=validate.Range(0, 100_000),
        metadata={
            "description": "Starting price per session at most this (USD): with a treatment named, that "
            "treatment's starting price (its own session price, else its package price per session, else "
            "the clinic's price_range); without one, the clinic's cheapest session. A clinic whose dearest "
            'option costs more still matches (the filter reads "from $X").'
        },
    )
    open_now = fields.Boolean(
        load_default=False, metadata={"description": "Open right now, in the clinic's time zone."}
    )
    sort = fields.String(
        load_default="best",
        validate=validate.OneOf(SORTS),
        metadata={"description": "best, distance (from the place searched) or rating."},
    )
    limit = fields.Integer(
        load_default=20,
        validate=validate.Range(1, 100),
        metadata={"description": "Results per page (1-100)."},
    )
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(1, MAX_WINDOW),
        metadata={
            "description": f"Page number (1 = first); page x limit may not pass {MAX_WINDOW:,}. "
            "Use cursor to go deeper."
        },
    )
    cursor = fields.String(
        validate=validate.Length(max=500), metadata={"description": "next_cursor of the previous page."}
    )
    explain = fields.Boolean(
        load_default=False, metadata={"description": "Explain each result's ranking factors."}
    )
    facets = fields.Boolean(load_default=True, metadata={"description": "Include facet counts."})

    @validates_schema
    def one_place(self, data: dict, **_) -> None:
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("Give lat and lon together.", "lon" if "lat" in data else "lat")
        if "lat" in data and "location" in data:
            raise ValidationError("Give either lat/lon or location, not both.", "location")
        # A place named in q counts too ("botox near tampa"); if q names none, best match is used.
        has_point = "lat" in data or "location" in data or data.get("q")
        if data.get("sort") == "distance" and not has_point:
            raise ValidationError("Sorting by distance needs lat/lon, location or a place in q.", "sort")
        if data.get("page", 1) > 1 and "cursor" in data:
            raise ValidationError("Give either page or cursor, not both.", "page")
        if data.get("page", 1) * data.get("limit", 20) > MAX_WINDOW:
            raise ValidationError(
                f"Numbered pages reach the first {MAX_WINDOW:,} results; narrow the search or use cursor.",
                "page",
            )

    @post_load
    def to_query(self, data: dict, **_) -> SearchQuery:
        return SearchQuery(**data)


def query_from_args(args) -> SearchQuery:
    """Load a query from a request's MultiDict, as pages get it from HTML forms.

    Empty form fields ("Any treatment", a blank place) mean "not given"; repeated keys
    become lists, as webargs does for the API.
    """
    from webargs.multidictproxy import MultiDictProxy
    from werkzeug.datastructures import MultiDict

    cleaned = MultiDict([(k, v) for k, v in args.items(multi=True) if v.strip() != ""])
    schema = SearchArgs()
    return schema.load(MultiDictProxy(cleaned, schema))
