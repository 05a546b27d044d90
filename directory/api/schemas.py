"""Response shapes of the partner API. They document the OpenAPI spec; views serialise plain
dicts that follow them (tests check real responses against these schemas)."""

from marshmallow import Schema, fields, validate

from directory.listing import ReviewArgs  # noqa: F401  (documented with the API)


class Point(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)


class Address(Schema):
    street = fields.String(allow_none=True)
    city = fields.String()
    state = fields.String()
    postal_code = fields.String(allow_none=True)
    country = fields.String()


class Rating(Schema):
    average = fields.Float(
        allow_none=True, metadata={"description": "Mean of all review ratings (null without reviews)."}
    )
    count = fields.Integer()
    weighted = fields.Float(metadata={"description": "Bayesian-weighted rating used for ranking."})
    histogram = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "Reviews per star."}
    )


class Certification(Schema):
    code = fields.String()
    name = fields.String(allow_none=True)
    issuer = fields.String(allow_none=True)
    verified = fields.Boolean()
    verified_at = fields.String(
        allow_none=True,
        metadata={"description": "When our team verified it, ISO 8601 (provider detail only)."},
    )
    expires = fields.Date(allow_none=True)
    valid = fields.Boolean(metadata={"description": "Verified and not expired today."})


class Treatment(Schema):
    code = fields.String()
    name = fields.String()


class PriceRange(Schema):
    min = fields.Float()
    max = fields.Float()
    currency = fields.String()


class Explain(Schema):
    sort = fields.String()
    sort_values = fields.List(fields.Raw())
    score = fields.Float(allow_none=True)
    factors = fields.Dict(
        metadata={"description": "rating, credentials, distance and text factors of sort=best."}
    )


class ProviderSummary(Schema):
    id = fields.String(required=True)
    slug = fields.String()
    name = fields.String(required=True)
    url = fields.Url(metadata={"description": "The provider's profile page."})
    address = fields.Nested(Address)
    location = fields.Nested(Point)
    distance_km = fields.Float(
        allow_none=True, metadata={"description": "From the search centre, when one was given."}
    )
    rating = fields.Nested(Rating)
    certifications = fields.List(fields.Nested(Certification))
    treatments = fields.List(fields.Nested(Treatment))
    price_range = fields.Nested(PriceRange, allow_none=True)
    contact = fields.Dict(allow_none=True)
    hours = fields.Dict(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    explain = fields.Nested(Explain, metadata={"description": "Only with explain=true."})


class FacetValue(Schema):
    value = fields.String()
    label = fields.String()
    count = fields.Integer()


class Facets(Schema):
    treatment = fields.List(fields.Nested(FacetValue))
    certification = fields.List(fields.Nested(FacetValue))
    rating = fields.List(fields.Nested(FacetValue))
    price = fields.List(fields.Nested(FacetValue))


class SearchResponse(Schema):
    total = fields.Integer(metadata={"description": "Matches of the whole query, across all pages."})
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as cursor for the next page; null on the last."}
    )
    origin = fields.Nested(Point, allow_none=True, metadata={"description": "The resolved search centre."})
    results = fields.List(fields.Nested(ProviderSummary))
    facets = fields.Nested(Facets, allow_none=True)


class Review(Schema):
    id = fields.String()
    rating = fields.Integer()
    title = fields.String(allow_none=True)
    text = fields.String()
    author = fields.String(allow_none=True)
    date = fields.Date()
    verified = fields.Boolean()


class ReviewPage(Schema):
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()
    sort = fields.String()
    items = fields.List(fields.Nested(Review))


class ProviderDetail(ProviderSummary):
    description = fields.String()
    reviews = fields.Nested(ReviewPage)


class SuggestArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=8, validate=validate.Range(1, 20))


class Suggestion(Schema):
    text = fields.String()
    type = fields.String(metadata={"description": "clinic, place or treatment"})
    value = fields.String(metadata={"description": "Provider id, place text or treatment code."})
    url = fields.String(allow_none=True)


class SuggestResponse(Schema):
    suggestions = fields.List(fields.Nested(Suggestion))


class ExportArgs(Schema):
    updated_since = fields.AwareDateTime(
        required=True, metadata={"description": "ISO 8601 time with zone; listings changed at or after it."}
    )


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Dict(), metadata={"description": '[{"parameter": ..., "reason": ...}]'})
    suggestions = fields.List(
        fields.String(), metadata={"description": "Close matches for an unknown location."}
    )
