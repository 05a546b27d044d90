"""Controlled vocabularies (treatments, certification codes) kept as JSON in fixtures/."""

import json
from functools import cache

from registry.settings import ROOT

FIXTURES = ROOT / "fixtures"


@cache
def treatments() -> dict[str, str]:
    """Treatment code -> display name."""
    return {t["code"]: t["name"] for t in json.loads((FIXTURES / "treatments.json").read_text())}


@cache
def certifications() -> dict[str, dict]:
    """Certification code -> {name, issuer}."""
    data = json.loads((FIXTURES / "certifications.json").read_text())
    return {c["code"]: c for c in data}
