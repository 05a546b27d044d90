"""Seeded synthetic clinic records: a fast generator for benchmarks and the sample directory.

A development tool, not part of the product. Every record loads through
``registry.schema.ClinicRecord``. Dates are relative to the fixed ``REFERENCE`` instant, never
today's date, so the same seed always gives byte-identical output.

    python tools/synthetic.py --out fixtures/clinics.ndjson                  # the sample directory
    python tools/synthetic.py --count 1000000 --seed 42 --out var/big.ndjson  # a benchmark feed
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from bisect import bisect
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from random import Random
from typing import TextIO
from zoneinfo import available_timezones

import zipcodes

from registry import vocabulary
from registry.derive import slugify as _slugify
from registry.geocode import STATES

REFERENCE = datetime(2026, 11, 1, tzinfo=UTC)
_REF_DAY = REFERENCE.date().toordinal()
_TWO_YEARS = 2 * 365 * 86400
_JITTER_KM = 1.4  # stays inside the 1.5 km promise even after rounding
_KM_PER_DEG = 111.32


@dataclass(frozen=True, slots=True)
class Zip:
    """A ZIP centroid with what a clinic address needs."""

    code: str
    city: str
    state: str
    timezone: str
    lat: float
    lon: float
    km_per_lon_deg: float
    area_code: str


@cache
def zips() -> tuple[Zip, ...]:
    """Active street-delivery ZIPs of the 50 states and DC, with a valid IANA time zone."""
    zones = available_timezones()
    out = []
    for z in zipcodes.list_all():
        # PO boxes and single-company ZIPs are not where clinics are; a few rows have junk zones.
        if z["zip_code_type"] != "STANDARD" or not z["active"] or z["state"] not in STATES:
            continue
        if z["timezone"] not in zones:
            continue
        lat, lon = float(z["lat"]), float(z["long"])
        if not lat or not lon:
            continue
        km = _KM_PER_DEG * math.cos(math.radians(lat))
        area = z["area_codes"][0] if z["area_codes"] else "555"
        out.append(Zip(z["zip_code"], z["city"], z["state"], z["timezone"], lat, lon, km, area))
    return tuple(out)


@cache
def _city_weights() -> tuple[int, ...]:
    """Cumulative ZIP weights: a ZIP weighs as many as its city has ZIPs, so big cities dominate."""
    size = Counter((z.city, z.state) for z in zips())
    return tuple(accumulate(size[z.city, z.state] for z in zips()))


def city_zips(city: str, state: str) -> tuple[Zip, ...]:
    """The ZIPs whose USPS city is ``city`` in ``state``."""
    found = tuple(z for z in zips() if z.city == city and z.state == state)
    if not found:
        raise LookupError(f"No ZIPs for {city}, {state}.")
    return found


def slugify(text: str) -> str:
    """The record's slug rule with '&' spelled out: 'Nguyễn Dermatology & Laser' -> '...-and-laser'."""
    return _slugify(text.replace("&", " and "))


# --- Words and fragments ------------------------------------------------------------------------

ADJECTIVES = (
    "Glow", "Radiant", "Luminous", "Pure", "Velvet", "Bloom", "Clear", "Renew", "Revive", "Serene",
    "Golden", "Silk", "Fresh", "True", "Bright", "Evolve", "Halo", "Aura", "Dewy", "Vital", "Nova",
    "Sage", "Willow", "Ivy", "Lotus", "Coastal", "Urban", "Modern", "Elevate", "Ember", "Skinsmith",
    "Juniper", "Magnolia", "Harbor", "Summit", "Cypress", "Lumen", "Opal", "Rosewater",
    "Blue Ridge",
)  # fmt: skip
SURNAMES = (
    "Patel", "Nguyen", "Kim", "Garcia", "Martinez", "Johnson", "Williams", "Brown", "Davis",
    "Miller", "Wilson", "Moore", "Taylor", "Anderson", "Thomas", "Jackson", "White", "Harris",
    "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Lopez", "Hill",
    "Scott", "Green", "Adams", "Baker", "Chen", "Rivera", "Campbell", "Mitchell", "Carter",
    "Roberts", "Shah", "Cohen",
)  # fmt: skip
FIRST_NAMES = (
    "Dana", "Maria", "Jessica", "Ashley", "Emily", "Sarah", "Lauren", "Megan", "Rachel", "Nicole",
    "Olivia", "Emma", "Sophia", "Ava", "Mia", "Chloe", "Grace", "Hannah", "Priya", "Aisha", "Mei",
    "Keisha", "Tanya", "Brittany", "Courtney", "Amanda", "Kayla", "Natalie", "Vanessa", "Jasmine",
    "Michael", "David", "James", "Chris", "Daniel", "Kevin", "Jason", "Marcus", "Andre", "Luis",
    "Carlos", "Ryan", "Brian", "Tyler", "Jordan", "Taylor", "Morgan", "Alex", "Sam", "Jamie",
)  # fmt: skip
INITIALS = "ABCDEFGHJKLMNOPRSTVW"
STREETS = (
    "Main", "Oak", "Park", "Maple", "Elm", "Lake", "Hill", "Washington", "Lincoln", "Market",
    "Church", "Cedar", "Pine", "Sunset", "Highland", "Meadow", "River", "Spring", "Ridge", "Forest",
    "Peachtree", "Magnolia", "Providence", "Colonial", "Madison", "Franklin", "Jefferson", "Union",
    "College", "Harbor", "Bay", "Ocean", "Palm", "Sycamore", "Willow", "Commerce", "Queens",
    "Monroe",
)  # fmt: skip
SUFFIXES = ("St", "Ave", "Blvd", "Rd", "Dr", "Ln", "Way", "Pkwy", "Pl", "Ct")

# (label in the name, noun in prose, physician-led)
KINDS = (
    ("Med Spa", "med spa", False),
    ("Skin Studio", "skin studio", False),
    ("Aesthetics", "aesthetics clinic", False),
    ("Skin Clinic", "skin clinic", False),
    ("Skin Bar", "skin bar", False),
    ("Skin Lab", "skin lab", False),
    ("Wellness & Aesthetics", "wellness and aesthetics center", False),
    ("Dermatology", "dermatology practice", True),
    ("Dermatology & Laser", "dermatology and laser practice", True),
    ("Laser & Skin Center", "laser and skin center", True),
    ("Skin Institute", "skin institute", True),
    ("Aesthetic Medicine", "aesthetic medicine practice", True),
    ("Plastic Surgery", "plastic surgery practice", True),
)
STYLES = (
    "a boutique", "a physician-led", "a nurse-led", "a family-owned", "a full-service",
    "an award-winning", "an independent", "a friendly", "a modern", "a locally owned",
)  # fmt: skip
OPENERS = (
    "{name} is {style} {noun} in {city}, {state}.",
    "Founded in {year}, {name} is {style} {noun} serving {city} and nearby neighborhoods.",
    "{name} is {style} {noun} in the heart of {city}.",
    "Welcome to {name}, {style} {noun} in {city}, {state}.",
    "Since {year}, {name} has been {style} {noun} for {city} clients who want results.",
)
MENU = (
    "We offer {list}.",
    "Our menu includes {list}.",
    "Services include {list}.",
    "Clients come to us for {list}.",
    "We specialize in {list}.",
)
MIDDLES = (
    "Every treatment starts with a one-on-one skin consultation.",
    "Needle depth and serums are tailored to your skin type and goals.",
    "We use sterile, single-use cartridges for every session.",
    "Numbing cream is applied before every microneedling session for comfort.",
    "Most clients see smoother texture after a series of three to six sessions.",
    "We treat acne scarring, fine lines, enlarged pores and uneven tone.",
    "Package pricing is available for treatment series.",
    "Flexible monthly financing is available.",
    "Free parking is available on site.",
    "Our team has performed thousands of collagen induction treatments.",
    "We welcome all skin types and tones.",
    "Downtime is usually a day or two of mild redness.",
    "Follow-up visits are included with every package.",
    "Virtual consultations are available for new clients.",
    "The clinic is wheelchair accessible.",
    "Our staff speak English and Spanish.",
    "Gift cards and memberships are available.",
    "We follow strict infection-control protocols.",
    "An aftercare kit comes with every treatment.",
    "Before-and-after photos from real clients are available on request.",
    "Treatments are performed under the supervision of a medical director.",
    "We combine microneedling with medical-grade skincare for lasting results.",
)
CLOSERS = (
    "Book online or call to schedule a consultation.",
    "New clients receive a complimentary skin assessment.",
    "Call us to find out whether microneedling is right for you.",
    "Walk-ins are welcome when the schedule allows.",
    "We look forward to meeting you.",
)
PHRASES = {
    "microneedling": "microneedling",
    "rf-microneedling": "radiofrequency microneedling",
    "prp-microneedling": "microneedling with PRP",
    "microneedling-serum": "microneedling with exosome serum",
    "acne-scar-treatment": "acne scar treatment",
    "stretch-mark-treatment": "stretch mark treatment",
    "chemical-peel": "chemical peels",
    "laser-resurfacing": "laser resurfacing",
    "hydrafacial": "HydraFacials",
    "dermaplaning": "dermaplaning",
    "botox": "Botox",
    "dermal-fillers": "dermal fillers",
    "hair-restoration-prp": "PRP hair restoration",
}
# Relative popularity; microneedling variants lead because this is a microneedling directory.
TREATMENT_WEIGHTS = {
    "microneedling": 30,
    "rf-microneedling": 14,
    "prp-microneedling": 12,
    "microneedling-serum": 8,
    "acne-scar-treatment": 9,
    "stretch-mark-treatment": 4,
    "chemical-peel": 9,
    "laser-resurfacing": 5,
    "hydrafacial": 8,
    "dermaplaning": 7,
    "botox": 9,
    "dermal-fillers": 7,
    "hair-restoration-prp": 3,
}
# Typical US prices per session (low, high) that a clinic's own prices scatter around, and how
# much each state's prices differ from the nation's (cost of living, rents).
SESSION_PRICES = {
    "microneedling": (200, 700),
    "rf-microneedling": (450, 1500),
    "prp-microneedling": (400, 1100),
    "microneedling-serum": (300, 800),
    "acne-scar-treatment": (250, 800),
    "stretch-mark-treatment": (300, 900),
    "chemical-peel": (100, 400),
    "laser-resurfacing": (600, 2500),
    "hydrafacial": (150, 350),
    "dermaplaning": (75, 200),
    "botox": (250, 700),
    "dermal-fillers": (500, 1200),
    "hair-restoration-prp": (500, 1500),
}
STATE_PRICE_FACTOR = {
    "NY": 1.3,
    "CA": 1.25,
    "MA": 1.2,
    "DC": 1.2,
    "WA": 1.15,
    "NJ": 1.15,
    "CT": 1.1,
    "HI": 1.2,
    "FL": 1.05,
    "IL": 1.05,
    "CO": 1.05,
    "OR": 1.05,
    "NV": 1.0,
    "TX": 0.95,
    "GA": 0.95,
    "AZ": 0.95,
    "NC": 0.95,
    "TN": 0.9,
    "OH": 0.9,
    "MI": 0.9,
    "MS": 0.85,
    "AR": 0.85,
    "WV": 0.85,
    "AL": 0.85,
}
PACKAGE_NOTES = (
    "Sessions four to six weeks apart",
    "Includes an aftercare kit",
    "Paid up front; sessions within six months",
    None,
)
VARIANTS = ("microneedling", "rf-microneedling", "prp-microneedling", "microneedling-serum")
VARIANT_WEIGHTS = (60, 20, 12, 8)

CERT_PREFIX = {
    "board-certified-dermatologist": "ABD",
    "board-certified-plastic-surgeon": "ABPS",
    "licensed-physician": "MD",
    "nurse-practitioner": "NP",
    "registered-nurse": "RN",
    "certified-aesthetic-nurse": "CANS",
    "licensed-esthetician": "E",
    "master-esthetician": "ME",
    "physician-assistant": "PA",
}
NATIONAL = frozenset({"ABD", "ABPS", "CANS", "PA"})  # numbers issued by national boards, not states
# Which credentials a clinic's staff tends to hold, by kind of practice.
CERTS_MEDICAL = (
    ("board-certified-dermatologist", 30), ("board-certified-plastic-surgeon", 10),
    ("licensed-physician", 20), ("nurse-practitioner", 15), ("physician-assistant", 12),
    ("registered-nurse", 10), ("certified-aesthetic-nurse", 8), ("licensed-esthetician", 12),
    ("master-esthetician", 4),
)  # fmt: skip
CERTS_SPA = (
    ("licensed-esthetician", 40), ("master-esthetician", 15), ("registered-nurse", 15),
    ("nurse-practitioner", 12), ("certified-aesthetic-nurse", 8), ("licensed-physician", 8),
    ("physician-assistant", 4), ("board-certified-dermatologist", 2),
)  # fmt: skip
CERT_COUNTS = (0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4)

TITLES = {
    5: (
        "Amazing results", "Highly recommend", "Best skin of my life", "Worth every penny",
        "Great experience", "My acne scars are fading", "So professional", "Love this place",
        "Five stars", "Visible difference", "Finally found my clinic", "Glowing!",
    ),
    4: (
        "Very good", "Great results, a bit pricey", "Would come back", "Happy with my skin",
        "Solid experience", "Good results so far", "Nice staff",
    ),
    3: ("Decent results", "Okay experience", "Mixed feelings", "Results take time", "Not bad"),
    2: ("Disappointed", "Expected more", "Long wait", "Poor communication"),
    1: ("Not worth it", "Would not return", "Terrible experience", "Avoid"),
}  # fmt: skip
GOOD = (
    "I had my third microneedling session here and my skin has never looked better.",
    "The provider took the time to explain every step.",
    "The numbing cream made the treatment almost painless.",
    "My acne scars are noticeably softer after two sessions.",
    "The office is spotless and the staff are so welcoming.",
    "Redness was gone by the next morning.",
    "I've already booked my next appointment.",
    "Pricing was clear and there were no surprises.",
    "They answered all my questions before we started.",
    "My pores look smaller and my makeup goes on smoother.",
    "Friends keep asking what I've done to my skin.",
    "Booking online was easy and they were right on time.",
    "The aftercare instructions were clear and the follow-up call was a nice touch.",
)
MIXED = (
    "Results were subtle after the first session.",
    "The treatment itself was fine, but I waited half an hour past my appointment time.",
    "A bit expensive compared to other places in town.",
    "Staff were friendly, though the front desk was hard to reach by phone.",
    "It was more uncomfortable than I expected.",
    "I might try a few more sessions before I decide.",
)
BAD = (
    "My appointment was cancelled twice with little notice.",
    "I was pushed to buy products I did not need.",
    "I saw no improvement after three sessions.",
    "Nobody followed up after I reported irritation.",
    "The room did not feel very clean.",
    "I was charged more than the price I was quoted.",
)
TEXTS = {5: GOOD, 4: GOOD + MIXED[:3], 3: MIXED, 2: MIXED + BAD, 1: BAD}
# Ratings below five, J-shaped like real review sites: more ones than twos.
NOT_FIVE = (4,) * 9 + (3,) * 4 + (2,) * 3 + (1,) * 4


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _stamp(seconds_before_reference: float) -> str:
    return (REFERENCE - timedelta(seconds=seconds_before_reference)).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Maker:
    """Builds clinics from one seeded Random, so the output depends on the seed alone."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.certs = vocabulary.certifications()
        self.codes = tuple(TREATMENT_WEIGHTS)
        self.code_cum = tuple(accumulate(TREATMENT_WEIGHTS.values()))
        self.cert_tables = {
            medical: (tuple(c for c, _ in table), tuple(accumulate(w for _, w in table)))
            for medical, table in ((True, CERTS_MEDICAL), (False, CERTS_SPA))
        }

    def clinic(self, clinic_id: str, zc: Zip, reviews: tuple[int, int], city: str | None = None) -> dict:
        """One complete record at ``zc``; ``city`` overrides the USPS spelling of the city."""
        rng = self.rng
        city = city or zc.city
        label, noun, medical = rng.choice(KINDS)
        name = self.name(label, city)
        slug = slugify(name)
        treatments = self.treatments()
        upd = rng.random() * _TWO_YEARS
        record = {
            "id": clinic_id,
            "name": name,
            "description": self.description(name, noun, city, zc.state, treatments),
            "address": {
                "street": self.street(),
                "city": city,
                "state": zc.state,
                "postal_code": zc.code,
                "country": "US",
            },
            "location": self.location(zc),
            "phone": f"+1 {zc.area_code}-555-01{rng.randrange(100):02d}",
        }
        if rng.random() < 0.92:
            record["website"] = f"https://www.{slug}.example"
        if rng.random() < 0.8:
            mailbox = rng.choice(("hello", "info", "book", "frontdesk", "care"))
            record["email"] = f"{mailbox}@{slug}.example"
        record["hours"] = self.hours(zc.timezone)
        record["treatments"] = treatments
        record["price_range"] = self.price("rf-microneedling" in treatments)
        # Its own Random, so adding prices left every other field of the sample as it was.
        record["prices"] = treatment_prices(Random(f"{clinic_id}:{_stamp(upd)}"), zc.state, treatments)
        record["certifications"] = self.certifications(medical, zc.state)
        lo, hi = reviews
        # Log-uniform counts: most clinics have a few reviews, a few have very many.
        count = lo + int((hi - lo + 2) ** rng.random()) - 1
        # Share of five-star ratings: most clinics are liked, a minority clearly less so.
        happy = 0.95 - 0.8 * rng.random() ** 4
        upd_day = (REFERENCE - timedelta(seconds=upd)).date().toordinal()
        record["reviews"] = self.reviews(clinic_id, count, happy, upd_day)
        record["updated_at"] = _stamp(upd)
        return record

    def name(self, label: str, city: str) -> str:
        rng = self.rng
        pattern = rng.randrange(8)
        if pattern < 2:
            return f"{rng.choice(ADJECTIVES)} {label}"
        if pattern == 2:
            return f"{rng.choice(SURNAMES)} {label}"
        if pattern == 3:
            return f"{city} {label}"
        if pattern == 4:
            return f"{rng.choice(ADJECTIVES)} {label} of {city}"
        if pattern == 5:
            first, second = rng.sample(SURNAMES, 2)
            return f"{first} & {second} {label}"
        if pattern == 6:
            return f"The {rng.choice(ADJECTIVES)} {label}"
        person = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        return f"{rng.choice(ADJECTIVES)} {label} by {person}"

    def description(self, name: str, noun: str, city: str, state: str, treatments: list[str]) -> str:
        rng = self.rng
        opener = rng.choice(OPENERS).format(
            name=name, style=rng.choice(STYLES), noun=noun, city=city, state=state,
            year=rng.randint(1998, 2024),
        )  # fmt: skip
        menu = rng.choice(MENU).format(list=_join([PHRASES[t] for t in treatments]))
        middle = rng.sample(MIDDLES, rng.randint(1, 3))
        return " ".join([opener, menu, *middle, rng.choice(CLOSERS)])

    def street(self) -> str:
        rng = self.rng
        street = f"{rng.randrange(100, 9900)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}"
        if rng.random() < 0.35:
            street += f", Suite {rng.randrange(100, 500)}"
        return street

    def location(self, zc: Zip) -> dict:
        rng = self.rng
        # Uniform over a disc around the centroid: sqrt keeps points from bunching in the middle.
        r = _JITTER_KM * rng.random() ** 0.5
        angle = rng.random() * math.tau
        return {
            "lat": round(zc.lat + r * math.cos(angle) / _KM_PER_DEG, 6),
            "lon": round(zc.lon + r * math.sin(angle) / zc.km_per_lon_deg, 6),
        }

    def hours(self, timezone: str) -> dict:
        rng = self.rng
        opens = rng.choice(("08:00", "08:30", "09:00", "09:00", "09:00", "10:00"))
        closes = rng.choice(("17:00", "17:30", "18:00", "18:00", "19:00"))
        lunch = rng.random() < 0.15
        week = {"timezone": timezone}
        for day in ("mon", "tue", "wed", "thu", "fri"):
            week[day] = [f"{opens}-12:00", f"13:00-{closes}"] if lunch else [f"{opens}-{closes}"]
        if rng.random() < 0.12:
            week["mon"] = []  # many spas take Monday off after a Saturday shift
        if rng.random() < 0.1:
            late = rng.choice(("20:00", "21:00"))
            for day in ("wed", "thu"):
                week[day][-1] = week[day][-1][:6] + late
        if rng.random() < 0.15:
            week["fri"] = [f"{opens}-{rng.choice(('13:00', '14:00', '15:00'))}"]
        saturday = rng.random()
        week["sat"] = (
            [rng.choice(("09:00-14:00", "10:00-16:00", "09:00-15:00", "10:00-14:00"))]
            if saturday < 0.6
            else []
        )
        week["sun"] = ["11:00-16:00"] if saturday < 0.08 else []
        return week

    def treatments(self) -> list[str]:
        rng = self.rng
        want = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6))
        chosen = set()
        if rng.random() < 0.95:
            chosen.add(rng.choices(VARIANTS, VARIANT_WEIGHTS)[0])
        total = self.code_cum[-1]
        while len(chosen) < want:
            chosen.add(self.codes[bisect(self.code_cum, rng.random() * total)])
        return [code for code in self.codes if code in chosen]

    def price(self, rf: bool) -> dict:
        rng = self.rng
        if rf:  # radiofrequency devices and consumables cost more per session
            low = rng.randrange(350, 701, 25)
            high = min(low + rng.randrange(100, 601, 50), 1500)
        else:
            low = rng.randrange(150, 451, 25)
            high = min(low + rng.randrange(50, 451, 25), 900)
        return {"min": low, "max": high, "currency": "USD"}

    def certifications(self, medical: bool, state: str) -> list[dict]:
        rng = self.rng
        codes, cum = self.cert_tables[medical]
        want = rng.choice(CERT_COUNTS)
        chosen: list[str] = []
        while len(chosen) < want:
            code = codes[bisect(cum, rng.random() * cum[-1])]
            if code not in chosen:
                chosen.append(code)
        return [self.certification(code, state) for code in chosen]

    def certification(
        self, code: str, state: str, *, verified: bool | None = None, expired: bool | None = None
    ) -> dict:
        rng = self.rng
        prefix = CERT_PREFIX[code]
        number = f"{rng.randrange(10000, 100000)}"
        if expired is None:
            expired = rng.random() < 0.1
        if verified is None:
            verified = rng.random() < 0.85
        expires_in = -rng.randint(1, 400) if expired else rng.randint(30, 1500)
        # A check can only have been done while the credential was still valid.
        checked_days_ago = max(rng.randint(1, 900), -expires_in + rng.randint(30, 365))
        checked = _stamp(checked_days_ago * 86400 + rng.randrange(86400)) if verified else None
        return {
            "code": code,
            "name": self.certs[code]["name"],
            "issuer": self.certs[code]["issuer"],
            "number": f"{prefix}-{number}" if prefix in NATIONAL else f"{state}-{prefix}-{number}",
            "verified": verified,
            "verified_at": checked,
            "expires": date.fromordinal(_REF_DAY + expires_in).isoformat(),
        }

    def reviews(self, clinic_id: str, count: int, happy: float, last_day: int) -> list[dict]:
        """``count`` reviews up to ``last_day``; ``happy`` is the share of five-star ratings."""
        rng = self.rng
        random = rng.random
        age = rng.randint(180, 2200)
        days = sorted(last_day - int(random() * age) for _ in range(count))
        out = []
        for n, day in enumerate(days, 1):
            u = random()
            rating = 5 if u < happy else NOT_FIVE[int((u - happy) / (1 - happy) * len(NOT_FIVE))]
            texts = TEXTS[rating]
            out.append(
                {
                    "id": f"{clinic_id}-r{n}",
                    "rating": rating,
                    "title": rng.choice(TITLES[rating]),
                    "text": " ".join(rng.sample(texts, 1 + int(random() * 3))),
                    "author": f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}.",
                    "date": date.fromordinal(day).isoformat(),
                    "verified": random() < 0.9,
                }
            )
        return out


def treatment_prices(rng: Random, state: str, treatments: list[str]) -> list[dict]:
    """Prices per treatment as clinics list them: most treatments priced per session, a few not
    priced at all (the clinic's general price range covers them), microneedling often also sold
    as a package of three sessions at a discount."""
    factor = STATE_PRICE_FACTOR.get(state, 0.95) * (0.8 + 0.4 * rng.random())
    out = []
    for code in treatments:
        if rng.random() < 0.2:
            continue
        low, high = SESSION_PRICES[code]
        start = low + (high - low) * 0.45 * rng.random()
        start = max(low, round(start * factor / 5) * 5)
        end = start if rng.random() < 0.3 else round(start * (1.1 + 0.5 * rng.random()) / 5) * 5
        out.append({"treatment": code, "min": start, "max": end, "currency": "USD", "unit": "session"})
        if code in VARIANTS and rng.random() < 0.35:
            sessions = rng.choice((3, 3, 3, 4, 6))
            package = round(start * sessions * (0.75 + 0.15 * rng.random()) / 25) * 25
            price = {"treatment": code, "min": package, "max": package, "currency": "USD"}
            price |= {"unit": "package", "sessions": sessions}
            note = rng.choice(PACKAGE_NOTES)
            if note:
                price["note"] = note
            if rng.random() < 0.3:
                out.pop()  # sold as a package only
            out.append(price)
    return out


def generate(count: int, seed: int = 42, *, reviews: tuple[int, int] = (0, 60)) -> Iterator[dict]:
    """Yield ``count`` synthetic clinics spread over US ZIPs, weighted towards big cities."""
    lo, hi = reviews
    if count < 0 or not 0 <= lo <= hi:
        raise ValueError("count must be >= 0 and reviews a (low, high) pair with 0 <= low <= high.")
    maker = _Maker(Random(seed))
    pool, cum = zips(), _city_weights()
    total = cum[-1]
    random = maker.rng.random
    for i in range(count):
        yield maker.clinic(f"syn-{i:07d}", pool[bisect(cum, random() * total)], reviews)


# --- Reviews at store scale (the review-store benchmark) -------------------------------------------

REVIEW_COLUMNS = (
    "clinic_id", "position", "review_id", "rating", "date", "verified", "content", "kind", "status",
    "helpful", "treatment", "visit_month", "created_at", "changed_at",
)  # fmt: skip
# Shares among reviews: from partner feeds, then consumers' verified visits and confirmed reviewers.
KIND_SHARES = (("feed", 0.80), ("verified-visit", 0.15), ("confirmed", 0.05))
# Shares among consumers' reviews (feed reviews are all published).
STATUS_SHARES = (("published", 0.95), ("held", 0.03), ("removed", 0.02))


def _contents(rng: Random, per_rating: int = 400) -> dict[int, list[str]]:
    """Pre-serialised review texts per rating (JSON as the store keeps it), drawn from for speed."""
    out = {}
    for rating in range(1, 6):
        out[rating] = [
            json.dumps(
                {
                    "title": rng.choice(TITLES[rating]),
                    "text": " ".join(rng.sample(TEXTS[rating], 1 + int(rng.random() * 3))),
                    "author": f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}.",
                },
                ensure_ascii=False,
            )
            for _ in range(per_rating)
        ]
    return out


def review_counts(clinics: int, total: int, seed: int = 42, heavy: int = 10_000) -> Iterator[int]:
    """How many reviews each of `clinics` listings gets, about `total` in all: the first gets
    `heavy` (the busiest clinic: what must cost no more than a quiet one), the others a
    geometric spread with the mean that makes up the rest (most have a few, some hundreds)."""
    rng = Random(seed)
    heavy = min(heavy, total)
    mean = (total - heavy) / max(1, clinics - 1)
    yield heavy
    for _ in range(clinics - 1):
        yield int(rng.expovariate(1 / mean) + 0.5) if mean > 0 else 0  # rounded: the total holds


def store_reviews(clinic_id: str, count: int, rng: Random, contents: dict[int, list[str]]) -> Iterator[tuple]:
    """`count` reviews of one listing as rows of the store's `reviews` table (REVIEW_COLUMNS):
    feed reviews in feed order, consumers' reviews with their kind, status, helpful votes,
    treatment and visit month. Dates spread over five years before REFERENCE."""
    random = rng.random
    treatments = list(vocabulary.treatments())
    happy = 0.55 + 0.4 * random()
    for n in range(count):
        day = date.fromordinal(_REF_DAY - int(random() * 1825))
        u = random()
        rating = 5 if u < happy else NOT_FIVE[int((u - happy) / (1 - happy) * len(NOT_FIVE))]
        content = contents[rating][int(random() * len(contents[rating]))]
        k = random()
        if k < KIND_SHARES[0][1]:
            feed = (clinic_id, n, f"{clinic_id}-r{n}", rating, day, random() < 0.9, content, "feed")
            yield (*feed, "published", 0, None, None, None, None)
            continue
        kind = KIND_SHARES[1][0] if k < KIND_SHARES[0][1] + KIND_SHARES[1][1] else KIND_SHARES[2][0]
        v = random()
        status = "published" if v < STATUS_SHARES[0][1] else "held" if v < 0.98 else "removed"
        stamp = datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(
            seconds=int(random() * 36000)
        )
        written = (clinic_id, 0, f"pd:{clinic_id}-{n}", rating, day, kind == "verified-visit", content, kind)
        treatment = treatments[int(random() * len(treatments))]
        yield (*written, status, int(rng.expovariate(1.0)), treatment, day.strftime("%Y-%m"), stamp, stamp)


def review_store(
    clinic_ids: Iterable[str], total: int, seed: int = 42, heavy: int = 10_000
) -> Iterator[tuple]:
    """Rows of the `reviews` table for `clinic_ids` (in order), about `total` in all (see
    `review_counts`), reproducible for a seed."""
    clinic_ids = list(clinic_ids)
    rng = Random(seed)
    contents = _contents(rng)
    for clinic_id, count in zip(clinic_ids, review_counts(len(clinic_ids), total, seed, heavy), strict=True):
        yield from store_reviews(clinic_id, count, rng, contents)


# --- The curated sample directory ---------------------------------------------------------------


@dataclass(frozen=True)
class Metro:
    """A metro of the sample directory: display city, USPS city for its ZIPs, and clinic count."""

    city: str
    state: str
    clinics: int
    usps_city: str | None = None

    @property
    def slug(self) -> str:
        return slugify(f"{self.city} {self.state}")


METROS = (
    # North Carolina and Florida carry the directory's launch: about 40% of the sample.
    Metro("Charlotte", "NC", 16),
    Metro("Raleigh", "NC", 13),
    Metro("Durham", "NC", 8),
    Metro("Greensboro", "NC", 7),
    Metro("Wilmington", "NC", 7),
    Metro("Asheville", "NC", 6),
    Metro("Winston-Salem", "NC", 6, usps_city="Winston Salem"),
    Metro("Miami", "FL", 16),
    Metro("Orlando", "FL", 12),
    Metro("Tampa", "FL", 11),
    Metro("Jacksonville", "FL", 9),
    Metro("St. Petersburg", "FL", 7, usps_city="Saint Petersburg"),
    Metro("Fort Lauderdale", "FL", 8),
    Metro("Tallahassee", "FL", 5),
    Metro("Sarasota", "FL", 6),
    Metro("New York", "NY", 14),
    Metro("Los Angeles", "CA", 14),
    Metro("Chicago", "IL", 12),
    Metro("Houston", "TX", 11),
    Metro("Dallas", "TX", 10),
    Metro("Atlanta", "GA", 10),
    Metro("Phoenix", "AZ", 9),
    Metro("Seattle", "WA", 9),
    Metro("Denver", "CO", 8),
    Metro("Boston", "MA", 8),
    Metro("San Francisco", "CA", 9),
    Metro("San Diego", "CA", 8),
    Metro("Austin", "TX", 9),
    Metro("Philadelphia", "PA", 8),
    Metro("Washington", "DC", 8),
    Metro("Nashville", "TN", 8),
    Metro("Las Vegas", "NV", 8),
    Metro("Portland", "OR", 7),
    Metro("Minneapolis", "MN", 7),
    Metro("Salt Lake City", "UT", 6),
    Metro("San Antonio", "TX", 7),
    Metro("Detroit", "MI", 6),
)

# Clinics with non-ASCII text, so search, templates and files are tested beyond ASCII.
SPECIAL_NAMES = {
    "miami-fl-003": "Piel Bonita Clínica",
    "charlotte-nc-005": "Café-au-lait Skin Studio",
    "orlando-fl-004": "Crème de la Peau Med Spa",
    "houston-tx-002": "Nguyễn Dermatology & Laser",
    "seattle-wa-003": "Søndergaard Skin Atelier",
    "chicago-il-006": "Zoë's Glow Bar",
    "los-angeles-ca-007": "Hanbit Skin 한빛 피부과",
}
SPANISH_DESCRIPTION = (
    "Piel Bonita Clínica es una clínica de estética en Miami especializada en microagujas "
    "(microneedling) con PRP y tratamiento de cicatrices de acné. "
    "Atendemos en español y en inglés. Reserve su consulta gratuita por teléfono o en línea."
)
SPANISH_REVIEW = {
    "rating": 5,
    "title": "¡Excelente atención!",
    "text": (
        "Me hice microagujas con PRP y mi piel quedó increíble. La doctora me explicó todo en "
        "español y el personal fue muy amable. ¡Volveré pronto!"
    ),
    "author": "María G.",
    "verified": True,
}


def sample_directory(seed: int = 7) -> Iterator[dict]:
    """Yield the curated sample directory committed as fixtures/clinics.ndjson."""
    maker = _Maker(Random(seed))
    n = 0
    for metro in METROS:
        pool = city_zips(metro.usps_city or metro.city, metro.state)
        for k in range(1, metro.clinics + 1):
            clinic_id = f"{metro.slug}-{k:03d}"
            record = maker.clinic(clinic_id, maker.rng.choice(pool), (0, 40), city=metro.city)
            _vary(maker, record, n)
            if clinic_id in SPECIAL_NAMES:
                _rename(record, SPECIAL_NAMES[clinic_id])
            if clinic_id == "miami-fl-003":
                _hablamos_espanol(record)
            n += 1
            yield record


def _vary(maker: _Maker, record: dict, n: int) -> None:
    """Give the n-th sample clinic the edge case tests rely on, on a fixed rotation."""
    rng = maker.rng
    state = record["address"]["state"]
    last_day = date.fromisoformat(record["updated_at"][:10]).toordinal()
    if n % 10 == 4:
        del record["location"]  # the indexer must geocode it from the postal code
    if n % 17 == 5:
        record["certifications"] = [
            maker.certification("licensed-esthetician", state, verified=False, expired=False)
        ]
    elif n % 19 == 7:
        record["certifications"].append(
            maker.certification("registered-nurse", state, verified=True, expired=True)
        )
    if n in (20, 200):
        record["reviews"] = maker.reviews(record["id"], 1, 1.0, last_day)  # one five-star review
    elif n % 13 == 2:
        record["reviews"] = []
    elif n % 29 == 11:
        # Popular clinics: many reviews, nearly all five stars (mean around 4.8).
        record["reviews"] = maker.reviews(record["id"], rng.randint(100, 220), 0.93, last_day)
    if n % 23 == 9:
        record["hours"]["sat"] = []
        record["hours"]["sun"] = []
    elif n % 11 == 6:
        for day in ("tue", "thu", "fri"):
            record["hours"][day][-1] = record["hours"][day][-1][:6] + "21:00"
    if n % 31 == 15:
        record["price_range"] = {"min": 99, "max": 149, "currency": "USD"}  # intro offers
    elif n % 37 == 20:
        # Premium RF practices, so price filters have a high end to find.
        offered = {*record["treatments"], "rf-microneedling"}
        record["treatments"] = [code for code in TREATMENT_WEIGHTS if code in offered]
        record["price_range"] = {"min": 800, "max": 1800, "currency": "USD"}


def _rename(record: dict, name: str) -> None:
    """Rename a clinic everywhere its name shows: description, website, email."""
    old = record["name"]
    record["name"] = name
    record["description"] = record["description"].replace(old, name)
    slug = slugify(name)
    if "website" in record:
        record["website"] = f"https://www.{slug}.example"
    if "email" in record:
        record["email"] = f"{record['email'].split('@')[0]}@{slug}.example"


def _hablamos_espanol(record: dict) -> None:
    record["description"] = SPANISH_DESCRIPTION
    day = record["updated_at"][:10]
    review = {"id": f"{record['id']}-r{len(record['reviews']) + 1}", **SPANISH_REVIEW, "date": day}
    record["reviews"].append(review)


def write_ndjson(records: Iterable[dict], out: TextIO) -> int:
    """Write records one JSON object per line, UTF-8 kept readable; returns how many."""
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    """Command line: the sample directory by default, or --count synthetic records."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, help="generate this many records instead of the sample")
    parser.add_argument("--seed", type=int, help="random seed (default: 42, or 7 for the sample)")
    parser.add_argument("--reviews", type=int, nargs=2, default=(0, 60), metavar=("LOW", "HIGH"))
    parser.add_argument("--out", type=Path, help="output file (default: stdout)")
    args = parser.parse_args(argv)
    if args.count is None:
        records = sample_directory() if args.seed is None else sample_directory(args.seed)
    else:
        seed = 42 if args.seed is None else args.seed
        records = generate(args.count, seed, reviews=tuple(args.reviews))
    if args.out is None:
        sys.stdout.reconfigure(encoding="utf-8")
        write_ndjson(records, sys.stdout)
        return
    with args.out.open("w", encoding="utf-8", newline="\n") as out:
        write_ndjson(records, out)


if __name__ == "__main__":
    main()
