"""How fresh a listing's facts are, as people and partners see it: each group of facts with its
source, its dates and whether it is possibly out of date (older than Settings.facts_max_age_days)."""

from __future__ import annotations

from datetime import date

from flask import Flask

from directory.context import settings
from registry import provenance


def annotate(facts: dict | None, today: date | None = None) -> dict:
    """{group: {source, changed_at?, confirmed_at, stale}} for the groups a listing has facts for."""
    return provenance.public(facts or {}, today or date.today(), settings().facts_max_age_days)


def fact_words(group: str, entry: dict | None) -> str:
    """'Prices confirmed by the clinic on May 5, 2026' (empty without a confirmation)."""
    from directory.present import long_date

    if not entry or not entry.get("confirmed_at"):
        return ""
    who, when = provenance.source_words(entry["source"]), long_date(entry["confirmed_at"])
    return f"{provenance.LABELS[group]} confirmed by {who} on {when}"


def stale_groups(facts: dict | None) -> list[str]:
    """The names of a listing's groups of facts that are possibly out of date, in lower case."""
    return [provenance.LABELS[g].lower() for g, entry in annotate(facts).items() if entry["stale"]]


def init_app(app: Flask) -> None:
    app.add_template_global(fact_words, "fact_words")
    app.add_template_global(stale_groups, "stale_groups")
    app.add_template_global(annotate, "fresh_facts")
    app.add_template_global(provenance.LABELS, "fact_labels")
