"""The hostile-feed corpus (tests/indexer/hostile/) through `python -m indexer load`: every good
record in, every bad one named by its place, exit status 1, no traceback, and the partner
export complete afterwards."""

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory import create_app
from indexer.feeds import MAX_RECORD_BYTES
from registry.models import Clinic

ROOT = Path(__file__).parents[2]
CORPUS = Path(__file__).parent / "hostile"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())


def oversized_feeds(tmp_path: Path) -> tuple[list[Path], list[str]]:
    """Records too large to keep in the repository: a line past MAX_RECORD_BYTES, a CSV cell
    past the csv module's 128 KiB default and one past MAX_RECORD_BYTES; and a good record after
    each, which must still load."""
    good = json.loads((CORPUS / "hostile.ndjson").read_bytes().splitlines()[0])
    ndjson = tmp_path / "oversized.ndjson"
    huge = json.dumps({**good, "id": "h-huge", "description": "x" * (MAX_RECORD_BYTES + 10)})
    ndjson.write_text(huge + "\n" + json.dumps({**good, "id": "h-after-huge"}) + "\n")
    csv = tmp_path / "oversized.csv"
    csv.write_text(
        "id,name,address.city,address.state\n"
        f'h-cell-200k,"{"y" * 200_000}",Charlotte,NC\n'
        f'h-cell-3m,"{"z" * (3 * 1024 * 1024)}",Charlotte,NC\n'
        "h-after-cells,After Big Cells,Charlotte,NC\n"
    )
    return [ndjson, csv], [f"{ndjson}:1", f"{csv}:2", f"{csv}:3"]


def test_a_hostile_feed_loads_every_good_record_and_names_every_bad_one(settings, tmp_path):
    extra, extra_bad = oversized_feeds(tmp_path)
    feeds = [CORPUS / name for name in EXPECTED["rejected_at"]] + extra
    env = {
        **os.environ,
        "ELASTICSEARCH_URL": settings.elasticsearch_url,
        "DIRECTORY_INDEX": settings.index,
        "DATABASE_URL": settings.database_url,
        "GEOCODE_CACHE": str(settings.geocode_cache),
    }
    run = subprocess.run(
        [sys.executable, "-m", "indexer", "load", "--no-progress", *map(str, feeds)],
        env=env,
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    stderr = run.stderr.decode("utf-8")  # strict: whatever the feed held, the output is UTF-8
    assert run.returncode == 1, stderr
    assert "Traceback" not in stderr and "could not be processed" not in stderr
    rejected = [line for line in stderr.splitlines() if line.startswith("rejected: ")]
    places = {line.removeprefix("rejected: ").split(" ")[0] for line in rejected}
    expected_bad = {f"{CORPUS / name}{at}" for name, ats in EXPECTED["rejected_at"].items() for at in ats}
    assert places == expected_bad | set(extra_bad)
    assert all("\x1b" not in line and "\x00" not in line for line in rejected)
    assert "future" in stderr and "nested too deeply" in stderr and "not valid UTF-8" in stderr

    good = set(EXPECTED["good"]) | {"h-after-huge", "h-after-cells"}
    app = create_app({"SETTINGS": settings, "TESTING": True})
    with Session(app.extensions["store"]) as session:
        assert set(session.scalars(select(Clinic.id))) == good
    es = app.extensions["elasticsearch"]
    hits = es.search(index=settings.index, size=100, source=False)["hits"]["hits"]
    assert {h["_id"] for h in hits} == good

    export = app.test_client().get("/api/v1/providers/export?updated_since=2000-01-01T00:00:00Z")
    assert export.status_code == 200
    lines = export.get_data(as_text=True).splitlines()
    assert {json.loads(line)["id"] for line in lines} == good


def test_the_export_survives_a_listing_stored_before_the_text_rule(client, engine):
    """A lone surrogate that an older version let into the store goes out escaped, and the
    stream goes on to the listings after it."""
    from registry import listings

    good = json.loads((CORPUS / "hostile.ndjson").read_bytes().splitlines()[0])
    good.pop("reviews")
    with Session(client.application.extensions["store"]) as session:
        listings.upsert(session, {**good, "id": "a-legacy", "name": "Clinic \udcff"}, source="feed")
        listings.upsert(session, {**good, "id": "b-after"}, source="feed")
        session.commit()
    export = client.get("/api/v1/providers/export?updated_since=2000-01-01T00:00:00Z")
    lines = [json.loads(line) for line in export.get_data().splitlines()]
    assert [r["id"] for r in lines] == ["a-legacy", "b-after"]
    assert lines[0]["name"] == "Clinic \udcff"
