"""Judging a search result list against what a good answer must contain.

The judgements are predicates over the fixture records (fixtures/clinics.ndjson), computed
here independently of the search code: their own folding, their own distance, their own
reading of "valid credential". A query passes when nDCG@10 and recall@100 are both at least
PASS_AT (the issue's rule).

Grades: 2 for the best answers (the clinic named, or a clinic in the very city named),
1 for other good answers (within the radius of the place named), 0 for everything else.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

PASS_AT = 0.8
DEFAULT_MILES = 25.0
# The judge's centre of a city (the mean of its clinics) is not the geocoder's: a clinic this
# close to the radius's edge may fall either way and counts neither for nor against a search.
EDGE_BAND = 0.03
EARTH_RADIUS_MI = 3958.7613


def folded(text: str) -> str:
    """Lowercase ASCII letters and digits separated by single spaces (the judge's own rule)."""
    text = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() and c.isascii() else " " for c in text).split())


def miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_MI * math.asin(math.sqrt(h))


def valid_codes(record: dict, today: date) -> set[str]:
    return {
        c["code"]
        for c in record.get("certifications", [])
        if c.get("verified") and (not c.get("expires") or c["expires"] >= today.isoformat())
    }


@dataclass
class Judge:
    records: list[dict]
    today: date = field(default_factory=date.today)

    def __post_init__(self) -> None:
        points = defaultdict(list)
        for r in self.records:
            points[folded(r["address"]["city"])].append((r["location"]["lat"], r["location"]["lon"]))
        # A fixture city's centre: the mean of its clinics (not the search's geocoder).
        self.centres = {city: _mean(ps) for city, ps in points.items()}

    def grades(self, want: dict) -> dict[str, int | None]:
        """Clinic id -> grade for every good answer to a query judged by `want` (None: neutral)."""
        out = {}
        for r in self.records:
            grade = self.grade(r, want)
            if grade != 0:
                out[r["id"]] = grade
        return out

    def grade(self, r: dict, want: dict) -> int | None:
        offered = set(r.get("treatments", []))
        treatments = want.get("treatment", [])
        if not set([treatments] if isinstance(treatments, str) else treatments) <= offered:
            return 0
        if "treatment_any" in want and not offered & set(want["treatment_any"]):
            return 0
        codes = valid_codes(r, self.today)
        if "credential" in want and not codes & set(want["credential"]):
            return 0
        if want.get("qualified") and not codes:
            return 0
        if "state" in want and r["address"]["state"] != want["state"]:
            return 0
        if "city" in want and folded(r["address"]["city"]) not in {folded(c) for c in _list(want["city"])}:
            return 0
        if "ids" in want and r["id"] not in want["ids"]:
            return 0
        if "name" in want:
            names = {folded(n) for n in _list(want["name"])}
            return 2 if folded(r["name"]) in names else 0
        if "name_has" in want:
            return 2 if folded(want["name_has"]) in folded(r["name"]).split() else 0
        if "near" in want or "near_point" in want:
            distance = self._miles(r, want)
            radius = want.get("miles", DEFAULT_MILES)
            if distance > radius * (1 + EDGE_BAND):
                return 0
            if distance > radius * (1 - EDGE_BAND):
                return None
            same_city = "near" in want and folded(r["address"]["city"]) == folded(want["near"])
            return 2 if same_city else 1
        return 1

    def _miles(self, r: dict, want: dict) -> float:
        centre = tuple(want["near_point"]) if "near_point" in want else self.centres[folded(want["near"])]
        return miles(centre, (r["location"]["lat"], r["location"]["lon"]))


def _mean(points: list[tuple[float, float]]) -> tuple[float, float]:
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def ndcg(ranked_grades: list[int], all_grades: list[int], k: int = 10) -> float:
    """Normalised discounted cumulative gain of a ranking's first k grades (gain 2^g - 1)."""
    ideal = sorted(all_grades, reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    if idcg == 0:
        return 1.0
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ranked_grades[:k]))
    return dcg / idcg


def recall(found: int, relevant: int, k: int = 100) -> float:
    """Relevant answers among the first k, out of as many as could fit there."""
    return 1.0 if relevant == 0 else found / min(relevant, k)


@dataclass
class Verdict:
    ndcg: float
    recall: float
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.ndcg >= PASS_AT and self.recall >= PASS_AT


def judge_results(ids: list[str], grades: dict[str, int | None]) -> Verdict:
    """A result list (clinic ids, best first) against the grades of the good answers.

    Neutral answers (grade None, at the radius's edge) are left out of the list and the ideal.
    """
    ids = [i for i in ids if not (i in grades and grades[i] is None)]
    good = {i: g for i, g in grades.items() if g is not None}
    ranked = [good.get(i, 0) for i in ids]
    found = sum(1 for i in ids[:100] if i in good)
    return Verdict(ndcg(ranked, list(good.values())), recall(found, len(good)))


def judge_suggestions(items: list[dict], wanted: list) -> Verdict:
    """Autocomplete items against the suggestions a good answer must contain."""

    def matches(item: dict, want) -> bool:
        if isinstance(want, str):
            return folded(item.get("text") or "") == folded(want)
        return all(item.get(k) == v for k, v in want.items())

    ranked = [1 if any(matches(it, w) for w in wanted) else 0 for it in items]
    found = sum(1 for w in wanted if any(matches(it, w) for it in items))
    return Verdict(ndcg(ranked, [1] * len(wanted)), recall(found, len(wanted), k=10))
