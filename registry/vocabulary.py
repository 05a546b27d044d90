"""Controlled vocabularies (treatments, certification codes) kept as JSON in fixtures/.

Each entry also lists `aliases`: the names people type for it (colloquial and brand names,
plural and singular, split and joined spellings, common misspellings), read by query
understanding (`directory/search/understand.py`) and indexed as text with every clinic.
"""

import json
from functools import cache

from registry.settings import ROOT

FIXTURES = ROOT / "fixtures"


@cache
def treatment_entries() -> tuple[dict, ...]:
    """Every treatment as written in fixtures/treatments.json."""
    return tuple(json.loads((FIXTURES / "treatments.json").read_text(encoding="utf-8")))


@cache
def certification_entries() -> tuple[dict, ...]:
    """Every credential as written in fixtures/certifications.json."""
    return tuple(json.loads((FIXTURES / "certifications.json").read_text(encoding="utf-8")))


@cache
def treatments() -> dict[str, str]:
    """Treatment code -> display name."""
    return {t["code"]: t["name"] for t in treatment_entries()}


@cache
def treatment_short_names() -> dict[str, str]:
    """Treatment code -> the short name a heading uses ("Botox providers near Tampa, FL")."""
    return {t["code"]: t.get("short", t["name"]) for t in treatment_entries()}


@cache
def certifications() -> dict[str, dict]:
    """Certification code -> {name, issuer, aliases}."""
    return {c["code"]: c for c in certification_entries()}


@cache
def certification_names() -> dict[str, str]:
    """Certification code -> display name."""
    return {c["code"]: c["name"] for c in certification_entries()}
