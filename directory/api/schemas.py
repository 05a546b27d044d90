"""Response shapes of the partner API. They document the OpenAPI spec; views serialise plain
dicts that follow them (tests check real responses against these schemas)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

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
    verified_count = fields.Integer(
        metadata={"description": "Reviews written through an invitation after a completed visit."}
    )
    verified_share = fields.Float(
        allow_none=True, metadata={"description": "verified_count / count (null without reviews)."}
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


class SessionPrice(Schema):
    min = fields.Float(metadata={"description": "Lowest price of one session."})
    max = fields.Float(metadata={"description": "Highest price of one session."})
    typical = fields.Float(metadata={"description": "Midpoint of min and max: what cost guides count."})
    currency = fields.String()
    basis = fields.String(
        metadata={
            "description": "session (the clinic's price per session), package (its package price divided "
            "by the package's sessions) or general (its price_range, which applies to every listed "
            "treatment without a price of its own)."
        }
    )
    sessions = fields.Integer(metadata={"description": "Sessions in the package the price comes from."})


class CardPrice(SessionPrice):
    treatment = fields.String(
        allow_none=True,
        metadata={"description": "The searched treatment this price is for; null: across all treatments."},
    )


class ListedPrice(Schema):
    treatment = fields.String()
    min = fields.Float()
    max = fields.Float()
    currency = fields.String()
    unit = fields.String(metadata={"description": "session or package"})
    sessions = fields.Integer(allow_none=True, metadata={"description": "Sessions a package includes."})
    note = fields.String(allow_none=True)


class Fact(Schema):
    source = fields.String(
        metadata={"description": "Who last changed or confirmed it: clinic, admin or feed:<name>."}
    )
    changed_at = fields.String(
        metadata={"description": "When it last changed, ISO 8601 (provider detail only)."}
    )
    confirmed_at = fields.String(metadata={"description": "When it was last confirmed, ISO 8601."})
    stale = fields.Boolean(
        metadata={
            "description": "Not confirmed within the configured age (180 days by default): "
            "possibly out of date."
        }
    )


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
    price_range = fields.Nested(
        PriceRange,
        allow_none=True,
        metadata={"description": "Price per session across the clinic's treatments (lowest to highest)."},
    )
    session_prices = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(SessionPrice),
        metadata={"description": "Price per session of each listed treatment that has one, by code."},
    )
    price = fields.Nested(
        CardPrice,
        allow_none=True,
        metadata={
            "description": "Search results only: the price the result card shows, per session: the "
            "searched treatment's when a treatment is named and priced, else across treatments."
        },
    )
    contact = fields.Dict(allow_none=True)
    hours = fields.Dict(allow_none=True)
    facts = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(Fact),
        metadata={
            "description": "Provenance of each group of facts (contact, hours, prices, credentials, photos): "
            "source, last changed and last confirmed."
        },
    )
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


class Understood(Schema):
    codes = fields.List(fields.String(), metadata={"description": "Any of these codes (one for most words)."})
    names = fields.List(fields.String())
    text = fields.String(metadata={"description": "The words of q that named it."})
    corrected = fields.Boolean(metadata={"description": "Read through a typo."})


class Area(Schema):
    label = fields.String(metadata={"example": "Tampa, FL"})
    kind = fields.String(metadata={"description": "zip, city, state or address"})
    state = fields.String(allow_none=True)
    lat = fields.Float()
    lon = fields.Float()


class InterpretedPlace(Area):
    text = fields.String(metadata={"description": "The words that named the place."})
    source = fields.String(metadata={"description": "q, or location (the place box)"})
    corrected = fields.Boolean(metadata={"description": "Read through a typo."})


class Interpreted(Schema):
    query = fields.String(metadata={"description": "q as sent."})
    literal = fields.Boolean(metadata={"description": "q was matched as plain text (literal=true)."})
    treatments = fields.List(
        fields.Nested(Understood),
        metadata={"description": "Treatments named in q, each a filter like `treatment` (any code of one)."},
    )
    credentials = fields.List(
        fields.Nested(Understood),
        metadata={"description": "Credentials named in q: one filter like `certification` (any of them)."},
    )
    qualified = fields.Boolean(metadata={"description": "q asked for any verified credential."})
    place = fields.Nested(
        InterpretedPlace,
        allow_none=True,
        metadata={"description": "The place searched: its name, its centre, and where it came from."},
    )
    alternatives = fields.List(
        fields.Nested(Area),
        metadata={"description": 'Other places the same name could mean ("Did you mean Portland, ME?").'},
    )
    text = fields.String(metadata={"description": "Words of q left to match as text (every one must match)."})
    optional = fields.List(fields.String(), metadata={"description": 'Words that only rank ("best").'})
    ignored = fields.List(fields.String(), metadata={"description": 'Words with no meaning here ("near").'})
    dropped = fields.List(
        fields.String(), metadata={"description": "Words left out because nothing matched them all."}
    )
    headline = fields.String(
        allow_none=True,
        metadata={
            "description": "What the results are, in words.",
            "example": "Botox providers near Tampa, FL",
        },
    )


class SearchResponse(Schema):
    total = fields.Integer(metadata={"description": "Matches of the whole query, across all pages."})
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as cursor for the next page; null on the last."}
    )
    origin = fields.Nested(Point, allow_none=True, metadata={"description": "The resolved search centre."})
    interpreted = fields.Nested(Interpreted, metadata={"description": "What the search understood from q."})
    results = fields.List(fields.Nested(ProviderSummary))
    facets = fields.Nested(Facets, allow_none=True)


class ReviewResponse(Schema):
    text = fields.String()
    date = fields.Date()


class ReviewPhoto(Schema):
    url = fields.Url()
    thumbnail = fields.Url()


class Review(Schema):
    id = fields.String(required=True)
    rating = fields.Integer(required=True)
    title = fields.String(allow_none=True)
    text = fields.String()
    author = fields.String(allow_none=True)
    date = fields.Date(metadata={"description": "When it was published (feeds: as the partner dated it)."})
    verification = fields.String(
        metadata={
            "description": "verified-visit: written through the invitation sent after a consultation "
            "request the clinic marked completed; confirmed: the author confirmed their email "
            "address; feed: from a partner site (see label)."
        }
    )
    label = fields.String(metadata={"description": 'As shown: "Verified visit", "From RealSelf", ...'})
    verified = fields.Boolean(metadata={"description": "verification == verified-visit."})
    treatment = fields.Nested(Treatment, allow_none=True)
    visit_month = fields.String(allow_none=True, metadata={"description": "YYYY-MM"})
    helpful = fields.Integer(metadata={"description": "Readers who found it helpful."})
    edited = fields.Date(allow_none=True, metadata={"description": "When its author last changed it."})
    response = fields.Nested(
        ReviewResponse, allow_none=True, metadata={"description": "The clinic's public response."}
    )
    photos = fields.List(fields.Nested(ReviewPhoto))


class ReviewPage(Schema):
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()
    sort = fields.String()
    verified_only = fields.Boolean()
    items = fields.List(fields.Nested(Review))


class RemovedCounts(Schema):
    total = fields.Integer()
    reasons = fields.Dict(keys=fields.String(), values=fields.Integer())


class Moderation(Schema):
    decisions = fields.Integer(metadata={"description": "Every decision recorded on this listing's reviews."})
    by_action = fields.Dict(
        metadata={"description": "{publish|hold|remove: {reason code: decisions}} (see /review-policy)."}
    )
    removed = fields.Nested(RemovedCounts)
    held_reviews = fields.Integer(metadata={"description": "Reviews the automatic checks held for a person."})


class ProviderDetail(ProviderSummary):
    description = fields.String()
    prices = fields.List(
        fields.Nested(ListedPrice), metadata={"description": "Prices as the clinic lists them."}
    )
    reviews = fields.Nested(
        ReviewPage, metadata={"description": "One page; GET .../reviews pages through all of them."}
    )
    moderation = fields.Nested(
        Moderation, metadata={"description": "The moderation log of its reviews, counted."}
    )


class SuggestArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=8, validate=validate.Range(1, 20))
    lat = fields.Float(
        validate=validate.Range(-90, 90), metadata={"description": "Where the user is: nearer clinics first."}
    )
    lon = fields.Float(validate=validate.Range(-180, 180))

    @validates_schema
    def both_or_neither(self, data: dict, **_) -> None:
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("Give lat and lon together.", "lon" if "lat" in data else "lat")


class Suggestion(Schema):
    text = fields.String()
    type = fields.String(metadata={"description": "treatment, credential, place or clinic"})
    value = fields.String(
        metadata={"description": "Treatment or credential code, place (as `location` takes it), provider id."}
    )
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


class PriceBin(Schema):
    from_ = fields.Float(
        data_key="from", metadata={"description": "Lowest typical price of the bin (included)."}
    )
    to = fields.Float(metadata={"description": "Highest typical price of the bin (not included)."})
    count = fields.Integer()


class CostGuide(Schema):
    treatment = fields.String()
    treatment_name = fields.String()
    place = fields.String(metadata={"description": "The place as asked for, a state's name, or the nation."})
    state = fields.String(allow_none=True)
    location = fields.Nested(Point, allow_none=True, metadata={"description": "The resolved centre."})
    radius_km = fields.Float(allow_none=True)
    count = fields.Integer(
        metadata={"description": "Clinics counted: offering the treatment with a price in USD."}
    )
    currency = fields.String()
    min = fields.Float(allow_none=True)
    p10 = fields.Float(allow_none=True)
    p25 = fields.Float(allow_none=True)
    median = fields.Float(allow_none=True)
    p75 = fields.Float(allow_none=True)
    p90 = fields.Float(allow_none=True)
    max = fields.Float(allow_none=True)
    histogram = fields.List(fields.Nested(PriceBin))
    exact = fields.Boolean(
        metadata={"description": "True when computed from every price (always up to 10,000 clinics)."}
    )
    updated_at = fields.String(
        allow_none=True, metadata={"description": "When the newest of the counted listings last changed."}
    )
