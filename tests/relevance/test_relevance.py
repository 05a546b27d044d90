"""The judged relevance set: consumer queries through the API, judged against two directories.

queries.yaml is judged over the sample directory (fixtures/clinics.ndjson), other/queries.yaml
over a second one with other names and places (other/clinics.ndjson). `make relevance` prints
the pass rate per category (and writes it to test-artifacts/relevance.md); `make test` fails
below PASS_OVERALL overall or PASS_CATEGORY in any category. A quality gate, not a timed test.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from directory import create_app
from indexer import index
from indexer.load import load_files
from registry import db, listings, partners
from registry.settings import Settings
from tests.conftest import fresh_database, unique_alias
from tests.relevance.judge import Judge, Verdict, judge_results, judge_suggestions

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def read_queries(path: Path, dataset: str) -> list[dict]:
    return [{**q, "dataset": dataset} for q in yaml.safe_load(path.read_text(encoding="utf-8"))]


QUERIES = read_queries(HERE / "queries.yaml", "fixtures") + read_queries(
    HERE / "other" / "queries.yaml", "other"
)
CATEGORIES = sorted({q["cat"] for q in QUERIES})
PASS_OVERALL = 0.95
PASS_CATEGORY = 0.85
RESULTS = 100  # recall@100 reads the first hundred results


def request_for(entry: dict) -> str:
    """The API URL a query is sent as: the text box, the place box, or the "near me" button."""
    if "suggest" in entry:
        params = {"q": entry["suggest"], "limit": 10}
        path = "/api/v1/suggest"
    else:
        params = {"q": entry["q"], "limit": RESULTS, "facets": "false"}
        path = "/api/v1/providers"
    for key in ("location", "lat", "lon"):
        if key in entry:
            params[key] = entry[key]
    return path, {k: v for k, v in params.items() if v != ""}


def judge_entry(client, judge: Judge, entry: dict, headers: dict) -> tuple[Verdict, dict]:
    path, params = request_for(entry)
    resp = client.get(path, query_string=params, headers=headers)
    body = resp.get_json(silent=True) or {}
    want = entry["want"]
    if "status" in want:
        ok = resp.status_code == want["status"]
        return Verdict(float(ok), float(ok), f"status {resp.status_code}"), body
    if resp.status_code != 200:
        return Verdict(0.0, 0.0, f"status {resp.status_code}: {body.get('detail', '')}"), body
    if "suggest" in entry:
        items = body.get("suggestions", [])
        verdict = judge_suggestions(items, want["suggestions"])
        verdict.note = "; ".join(f"{i['type']}:{i['text']}" for i in items[:5])
        return verdict, body
    ids = [r["id"] for r in body.get("results", [])]
    if want.get("none"):
        ok = not ids
        return Verdict(float(ok), float(ok), f"{body.get('total')} results"), body
    verdict = judge_results(ids, judge.grades(want))
    verdict.note = f"{body.get('total')} results; top: {', '.join(ids[:3])}"
    return verdict, body


@pytest.fixture(scope="module")
def other_settings(es_url, es, geocoder, tmp_path_factory):
    """The second directory, loaded once for this module."""
    tmp = tmp_path_factory.mktemp("other")
    with fresh_database(tmp) as url:
        settings = Settings(elasticsearch_url=es_url, index=unique_alias("other"), database_url=url)
        engine = db.open_store(url)
        report = load_files(
            [HERE / "other" / "clinics.ndjson"], engine, es, settings.index, geocoder, progress=False
        )
        assert report.ok, report.rejected[:5]
        yield settings
        engine.dispose()
        index.delete_alias_and_indices(es, settings.index)


def run_dataset(settings: Settings, entries: list[dict]) -> list[tuple[dict, Verdict, dict]]:
    app = create_app({"SETTINGS": settings, "TESTING": True})
    with Session(app.extensions["store"]) as session:
        # The records as loaded (a few had no coordinates and were geocoded).
        judge = Judge(list(listings.iter_records(session)))
    key = partners.create(app.extensions["store"], unique_alias("relevance"), "1000000 per minute", [])
    client = app.test_client()
    return [(entry, *judge_entry(client, judge, entry, {"X-API-Key": key})) for entry in entries]


@pytest.fixture(scope="module")
def verdicts(directory_settings, other_settings) -> list[tuple[dict, Verdict, dict]]:
    out = []
    for dataset, settings in (("fixtures", directory_settings), ("other", other_settings)):
        out += run_dataset(settings, [q for q in QUERIES if q["dataset"] == dataset])
    report = format_report(out)
    print("\n" + report)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "relevance.md").write_text(report + "\n", encoding="utf-8")
    return out


def format_report(out: list[tuple[dict, Verdict, dict]]) -> str:
    by_cat: dict[str, list[Verdict]] = defaultdict(list)
    for entry, verdict, _ in out:
        by_cat[entry["cat"]].append(verdict)
    lines = [
        "| category | queries | passed | pass rate | mean nDCG@10 | mean recall@100 |",
        "|---|---|---|---|---|---|",
    ]
    for cat in sorted(by_cat):
        vs = by_cat[cat]
        passed = sum(v.passed for v in vs)
        lines.append(
            f"| {cat} | {len(vs)} | {passed} | {passed / len(vs):.0%} | "
            f"{sum(v.ndcg for v in vs) / len(vs):.3f} | {sum(v.recall for v in vs) / len(vs):.3f} |"
        )
    for dataset in sorted({e["dataset"] for e, _, _ in out}):
        vs = [v for e, v, _ in out if e["dataset"] == dataset]
        passed = sum(v.passed for v in vs)
        lines.append(f"| *{dataset} directory* | {len(vs)} | {passed} | {passed / len(vs):.0%} | | |")
    passed = sum(v.passed for _, v, _ in out)
    lines.append(f"| **overall** | {len(out)} | {passed} | {passed / len(out):.0%} | | |")
    failed = [(e, v) for e, v, _ in out if not v.passed]
    if failed:
        lines += ["", "Failed:", ""]
        for e, v in failed:
            text = e.get("q", e.get("suggest"))
            place = f" + location={e['location']!r}" if "location" in e else ""
            scores = f"nDCG {v.ndcg:.2f}, recall {v.recall:.2f}"
            lines.append(f"- [{e['cat']}, {e['dataset']}] {text!r}{place}: {scores} ({v.note})")
    return "\n".join(lines)


def pass_rate(verdicts: list[Verdict]) -> float:
    return sum(v.passed for v in verdicts) / len(verdicts)


def test_overall_pass_rate(verdicts):
    assert pass_rate([v for _, v, _ in verdicts]) >= PASS_OVERALL, format_report(verdicts)


@pytest.mark.parametrize("category", CATEGORIES)
def test_category_pass_rate(verdicts, category):
    chosen = [v for e, v, _ in verdicts if e["cat"] == category]
    assert pass_rate(chosen) >= PASS_CATEGORY, format_report([t for t in verdicts if t[0]["cat"] == category])
