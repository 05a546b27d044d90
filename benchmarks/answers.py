"""The API's answers to the benchmark's query mix, as one canonical JSON file: proof that a change
of structure changed no answer.

    python benchmarks/answers.py --write var/answers.json     # record with the current code
    python benchmarks/answers.py --compare var/answers.json   # later: same answers? (exit 1 if not)
    python benchmarks/run.py --answers var/answers.json      # the same through `make bench`

One run loads a deterministic directory (the sample fixtures plus `SIZE` synthetic clinics of a
fixed seed, with reviews) into a throwaway alias and SQLite store, then asks the app, through
Flask's test client, the benchmark's ~200 search URLs (`workload.build_mix`: geo, place, map
area, text, deep cursor pages), and also provider details with every review sort and a second
review page, the NDJSON export, suggestions, article search and a few profile and Learn pages
(HTML compared after masking the CSRF token). Every answer is stored with its status code;
`--compare` lists the URLs whose answers differ.

Answers depend on today's date (credential validity, "open now" is not in the mix), so compare
runs made on the same day. The times the load itself stamps (a listing's `updated_at`, the
`changed_at` and `confirmed_at` of its facts) differ from run to run: every timestamp at or
after the run's start reads "<this run>".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import workload  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIZE = 2000
SEED = 20261101
QUERIES = 200
DETAILS = 40
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
CSRF = re.compile(r'(name="csrf_token"[^>]*value="|<meta name="csrf-token" content="|data-csrf=")[^"]*(")')


def _directory(tmp: Path) -> Path:
    """The synthetic part of the feed: SIZE clinics with 0-12 reviews each (byte-identical per seed)."""
    from tools.synthetic import generate

    feed = tmp / f"clinics-{SIZE}-seed{SEED}.ndjson"
    with feed.open("w") as out:
        for record in generate(SIZE, seed=SEED, reviews=(0, 12)):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return feed


def _masked(html: str) -> str:
    return CSRF.sub(r"\1-\2", html)


def collect() -> dict[str, dict]:
    """Load the directory, ask every question, return {url: {"status": ..., "body": ...}}."""
    from elasticsearch import Elasticsearch

    from directory import create_app
    from indexer import articles, index
    from indexer.load import load_files
    from registry.db import open_store
    from registry.geocode import CachedGeocoder, make_geocoder
    from registry.settings import Settings

    env = Settings.from_env()
    started = datetime.now(UTC)
    alias = f"answers-{uuid.uuid4().hex[:8]}"
    es = Elasticsearch(env.elasticsearch_url, request_timeout=60)
    with tempfile.TemporaryDirectory(prefix="answers-") as tmp_name:
        tmp = Path(tmp_name)
        settings = Settings(
            elasticsearch_url=env.elasticsearch_url,
            index=alias,
            database_url=f"sqlite:///{tmp / 'store.sqlite3'}",
            geocode_cache=tmp / "geocode-cache.json",
        )
        try:
            feeds = [ROOT / "fixtures" / "clinics.ndjson", _directory(tmp)]
            engine = open_store(settings.database_url)
            geocoder = CachedGeocoder(make_geocoder("offline"))
            report = load_files(feeds, engine, es, alias, geocoder, progress=False)
            if not report.ok:
                raise SystemExit(f"error: the directory did not load cleanly: {report.rejected[:3]}")
            found = articles.load_articles(ROOT / "fixtures" / "content")
            articles.index_articles(es, settings.articles_index, found)
            app = create_app(
                {"SETTINGS": settings, "TESTING": True, "RATELIMIT_ENABLED": False, "SECRET_KEY": "answers"}
            )
            return _masked_times(_ask(app.test_client(), feeds), started)
        finally:
            index.delete_alias_and_indices(es, alias)
            index.delete_alias_and_indices(es, f"{alias}_articles")
            es.close()


def _ask(web, feeds: list[Path]) -> dict[str, dict]:
    answers: dict[str, dict] = {}

    def get(url: str) -> tuple[int, dict]:
        resp = web.get(url)
        body = resp.get_json(silent=True)
        if body is None:
            text = resp.get_data(as_text=True)
            body = _masked(text) if resp.mimetype == "text/html" else text
        answers[url] = {"status": resp.status_code, "body": body}
        return resp.status_code, body if isinstance(body, dict) else {}

    records = [json.loads(line) for path in feeds for line in path.open()]
    workload.build_mix([r for r in records if r.get("location")], get, QUERIES, SEED)
    rng = Random(SEED)
    with_reviews = [r for r in records if len(r.get("reviews", [])) > 5]
    for record in rng.sample(with_reviews, DETAILS // 2) + rng.sample(records, DETAILS // 2):
        for sort in ("newest", "highest", "lowest"):
            for page in (1, 2):
                get(f"/api/v1/providers/{record['id']}?review_sort={sort}&review_page={page}&review_limit=4")
        get(f"/api/v1/providers/{record['id']}")
    for record in rng.sample(with_reviews, 10):
        slug = web.get(f"/api/v1/providers/{record['id']}").get_json()["slug"]
        get(f"/providers/{slug}")
        get(f"/providers/{slug}?review_sort=lowest&review_page=2")
    get("/api/v1/providers/nope")
    get("/api/v1/providers/export?updated_since=2000-01-01T00:00:00Z")
    get("/api/v1/providers/export?updated_since=2026-06-01T00:00:00Z")
    for q in ("micro", "char", "rf", "bo", "dall", "the "):
        get(f"/api/v1/suggest?q={q}")
    for q in ("microneedling", "prp scars", "microneedeling", "downtime", "laser"):
        get(f"/api/v1/articles?q={q}")
        get(f"/learn/?q={q}")
    get("/api/v1/articles")
    get("/api/v1/providers?location=Nowhereville")
    get("/api/v1/providers?lat=35.2&lon=-80.8&cursor=bogus")
    get("/search?location=Nowhereville")
    get("/search?location=Charlotte%2C+NC&treatment=microneedling")
    get("/api/v1/openapi.json")
    return answers


def _masked_times(value, started: datetime):
    """Every timestamp from `started` on (the load's own) as "<this run>", the rest as it is."""
    if isinstance(value, dict):
        return {k: _masked_times(v, started) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_times(v, started) for v in value]
    stamped = isinstance(value, str) and TIMESTAMP.match(value)
    if stamped and datetime.fromisoformat(value.replace("Z", "+00:00")) >= started:
        return "<this run>"
    return value


def canonical(answers: dict[str, dict]) -> str:
    return json.dumps(answers, sort_keys=True, ensure_ascii=False, indent=1)


def digest(answers: dict[str, dict]) -> str:
    return hashlib.sha256(canonical(answers).encode()).hexdigest()


def compare(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """URLs whose status or body differ, or that only one run asked."""
    out = []
    for url in sorted(set(expected) | set(actual)):
        if expected.get(url) != actual.get(url):
            out.append(url)
    return out


def check(path: Path) -> int:
    """Write the answers to `path` if it does not exist, else compare with it (0 = identical)."""
    actual = collect()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(canonical(actual))
        print(f"wrote {len(actual)} answers to {path} (sha256 {digest(actual)})")
        return 0
    expected = json.loads(path.read_text())
    differ = compare(expected, actual)
    print(f"{len(actual)} answers; recorded sha256 {digest(expected)}, now {digest(actual)}")
    for url in differ[:20]:
        print(f"differs: {url}")
    if differ:
        diff_path = path.with_name(path.stem + ".new.json")
        diff_path.write_text(canonical(actual))
        print(f"{len(differ)} answers differ; this run's answers are in {diff_path}")
        return 1
    print("every answer is identical")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/answers.py", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, help="record the answers in this file (overwritten)")
    mode.add_argument("--compare", type=Path, help="compare with answers recorded in this file")
    args = parser.parse_args(argv)
    if args.write:
        args.write.unlink(missing_ok=True)
        return check(args.write)
    if not args.compare.exists():
        parser.error(f"no such file: {args.compare}")
    return check(args.compare)


if __name__ == "__main__":
    sys.exit(main())
