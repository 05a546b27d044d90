"""Command line: python -m indexer {load,rebuild,sync,articles} ...

Exit status: 0 when every record loaded, 1 when some were rejected (they are listed),
2 for usage errors, when Elasticsearch or the store cannot be reached, or when Elasticsearch
fails during the command (a full load then leaves the alias on the previous index).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as ESConnectionError

from indexer import load
from registry.db import open_store
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
    p_load.set_defaults(run=load_command)
    p_rebuild = commands.add_parser("rebuild", help="recreate the index from the store")
    p_rebuild.add_argument("--no-progress", action="store_true")
    p_rebuild.set_defaults(run=rebuild_command)
    p_sync = commands.add_parser("sync", help="index listing changes queued while Elasticsearch was down")
    p_sync.set_defaults(run=sync_command)
    p_art = commands.add_parser("articles", help="validate and index the Learn articles (Markdown)")
    p_art.add_argument("directory", nargs="?", type=Path, help="default: fixtures/content")
    p_art.set_defaults(run=articles_command)
    args = parser.parse_args(argv)
    try:
        return args.run(args, Settings.from_env())
    except (TransportError, ApiError) as err:
        print(
            f"error: Elasticsearch failed during {args.command}: {type(err).__name__}: {err}", file=sys.stderr
        )
        for note in getattr(err, "__notes__", []):
            print(f"note: {note}", file=sys.stderr)
        print(
            "A full load or rebuild moves the alias only to a complete index, so search keeps serving "
            "the previous one. Run the command again once the cluster is healthy.",
            file=sys.stderr,
        )
        return 2


def reachable_client(settings: Settings) -> Elasticsearch | None:
    """The configured client if the cluster answers; None (with a message) if it does not."""
    client = make_client(settings)
    try:
        client.cluster.health()
    except ESConnectionError as err:
        print(f"error: Elasticsearch unreachable at {settings.elasticsearch_url}: {err}", file=sys.stderr)
        return None
    return client


def _progress(args: argparse.Namespace) -> bool | None:
    """False with --no-progress; None lets the bar show only on a terminal."""
    return False if args.no_progress else None


def load_command(args: argparse.Namespace, settings: Settings) -> int:
    """Validate, geocode and store feed files, then index them (a new index unless --incremental)."""
    missing = [p for p in args.paths if not p.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    client = reachable_client(settings)
    if client is None:
        return 2
    # The offline gazetteer answers in microseconds; only online geocoders need a file cache.
    cache_file = None if settings.geocoder == "offline" else settings.geocode_cache
    named = make_geocoder(settings.geocoder, gazetteer_cache=settings.gazetteer_cache)
    report = load.load_files(
        args.paths,
        open_store(settings.database_url),
        client,
        settings.index,
        CachedGeocoder(named, cache_file),
        incremental=args.incremental,
        progress=_progress(args),
        workers=settings.indexer_workers,
        shards=settings.index_shards,
        replicas=settings.index_replicas,
    )
    for rejection in report.rejected:
        print(f"rejected: {rejection}", file=sys.stderr)
    if args.report:
        with args.report.open("w") as out:
            for r in report.rejected:
                out.write(json.dumps(r.__dict__) + "\n")
    print(report.summary(), file=sys.stderr)
    return 0 if report.ok else 1


def rebuild_command(args: argparse.Namespace, settings: Settings) -> int:
    """Recreate the index behind the alias from every listing in the store."""
    client = reachable_client(settings)
    if client is None:
        return 2
    result = load.rebuild_from_store(
        open_store(settings.database_url),
        client,
        settings.index,
        progress=_progress(args),
        shards=settings.index_shards,
        replicas=settings.index_replicas,
    )
    print(f"indexed {result.indexed} documents into alias {settings.index!r}", file=sys.stderr)
    return 0 if not result.errors else 1


def sync_command(args: argparse.Namespace, settings: Settings) -> int:
    """Index the listings queued in the outbox (changes saved while Elasticsearch was down)."""
    from indexer.sync import index_pending
    from registry import outbox

    client = reachable_client(settings)
    if client is None:
        return 2
    engine = open_store(settings.database_url)
    result = index_pending(engine, client, settings.index)
    print(f"indexed {result.indexed} queued listings, {outbox.pending(engine)} still queued", file=sys.stderr)
    return 0 if result.error is None and not result.failed else 1


def articles_command(args: argparse.Namespace, settings: Settings) -> int:
    """Validate every article first, so one bad file leaves the serving index untouched."""
    from indexer import articles

    directory = args.directory or articles.CONTENT_DIR
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
    client = reachable_client(settings)
    if client is None:
        return 2
    alias = settings.articles_index
    name = articles.index_articles(
        client, alias, found, shards=settings.index_shards, replicas=settings.index_replicas
    )
    print(f"indexed {len(found)} articles into {name} (alias {alias})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
