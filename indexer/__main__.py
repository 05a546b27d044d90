"""Command line: python -m indexer {load,rebuild,sync,articles,generate} ...

Exit status: 0 when every record loaded, 1 when some were rejected (they are listed),
2 for usage errors or when Elasticsearch or the store cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from elasticsearch import ConnectionError as ESConnectionError

from indexer import load
from registry import db
from registry.geocode import CachedGeocoder, make_geocoder
from registry.settings import Settings, make_client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p_load = commands.add_parser("load", help="load feed files (.json, .ndjson, .csv) into store and index")
    p_load.add_argument("paths", nargs="+", type=Path)
    p_load.add_argument("--incremental", action="store_true", help="upsert into the live index, no rebuild")
    p_load.add_argument("--report", type=Path, help="write rejected records as JSON lines to this file")
    p_load.add_argument("--no-progress", action="store_true")
    commands.add_parser("rebuild", help="recreate the index from the store")
    commands.add_parser("sync", help="index listing changes queued while Elasticsearch was down")
    p_gen = commands.add_parser("generate", help="write synthetic clinic records as NDJSON to stdout")
    p_gen.add_argument("--count", type=int, default=1000)
    p_gen.add_argument("--seed", type=int, default=42)
    p_gen.add_argument("--reviews", type=int, nargs=2, default=(0, 60), metavar=("MIN", "MAX"))
    p_art = commands.add_parser("articles", help="validate and index the Learn articles (Markdown)")
    p_art.add_argument("directory", nargs="?", type=Path, help="default: fixtures/content")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    if args.command == "generate":
        from indexer.synthetic import generate

        out = sys.stdout
        for record in generate(args.count, seed=args.seed, reviews=tuple(args.reviews)):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return 0
    if args.command == "articles":
        return index_articles(settings, args.directory)

    client = make_client(settings)
    try:
        client.cluster.health()
    except ESConnectionError as err:
        print(f"error: Elasticsearch unreachable at {settings.elasticsearch_url}: {err}", file=sys.stderr)
        return 2
    engine = db.open_store(settings.database_url)
    progress = False if getattr(args, "no_progress", False) else None
    if args.command == "sync":
        from indexer.sync import index_pending
        from registry import outbox

        result = index_pending(engine, client, settings.index)
        print(
            f"indexed {result.indexed} queued listings, {outbox.pending(engine)} still queued",
            file=sys.stderr,
        )
        return 0 if result.error is None and not result.failed else 1
    if args.command == "rebuild":
        result = load.rebuild_from_store(engine, client, settings.index, progress=progress)
        print(f"indexed {result.indexed} documents into alias {settings.index!r}", file=sys.stderr)
        return 0 if not result.errors else 1

    # The offline gazetteer answers in microseconds; only online geocoders need a file cache.
    cache_file = None if settings.geocoder == "offline" else settings.geocode_cache
    geocoder = CachedGeocoder(make_geocoder(settings.geocoder), cache_file)
    missing = [p for p in args.paths if not p.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    report = load.load_files(
        args.paths, engine, client, settings.index, geocoder, incremental=args.incremental, progress=progress
    )
    for rejection in report.rejected:
        print(f"rejected: {rejection}", file=sys.stderr)
    if args.report:
        with args.report.open("w") as out:
            for r in report.rejected:
                out.write(json.dumps(r.__dict__) + "\n")
    print(report.summary(), file=sys.stderr)
    return 0 if report.ok else 1


def index_articles(settings: Settings, directory: Path | None) -> int:
    """Validate every article first, so one bad file leaves the serving index untouched."""
    from indexer import articles

    directory = directory or articles.CONTENT_DIR
    if not directory.is_dir():
        print(f"error: no such directory: {directory}", file=sys.stderr)
        return 2
    try:
        found = articles.load_articles(directory)
    except articles.ArticleError as err:
        for path, name, reason in err.problems:
            print(f"invalid: {path}: {name}: {reason}", file=sys.stderr)
        print(f"nothing indexed: {len(err.problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    client = make_client(settings)
    try:
        client.cluster.health()
    except ESConnectionError as err:
        print(f"error: Elasticsearch unreachable at {settings.elasticsearch_url}", file=sys.stderr)
        print(err, file=sys.stderr)
        return 2
    alias = articles.articles_alias(settings.index)
    name = articles.index_articles(client, alias, found)
    print(f"indexed {len(found)} articles into {name} (alias {alias})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
