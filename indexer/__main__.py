"""Command line: python -m indexer {load,rebuild,sync,articles,reminders} ...

Exit status: 0 when every record loaded, 1 when some were rejected (they are listed),
2 for usage errors, when Elasticsearch or the store cannot be reached, or when Elasticsearch
fails during the command (a full load then leaves the alias on the previous index), 3 when the
command itself crashed (a bug: please report it with the message).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from datetime import date
from pathlib import Path

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as ESConnectionError
from sqlalchemy.exc import OperationalError as SQLAlchemyOperationalError

from indexer import load
from registry.db import open_store
from registry.geocode import CachedGeocoder, make_geocoder
from registry.settings import Settings, make_client

EXIT_OK, EXIT_REJECTED, EXIT_CANNOT_RUN, EXIT_CRASHED = 0, 1, 2, 3
EXIT_HELP = """exit status:
  0  everything loaded (or indexed)
  1  some records were rejected: each is listed as file:line id=... field: reason
  2  usage error, Elasticsearch or the store could not be reached, or Elasticsearch failed
     during the command (a full load then leaves the alias on the previous index)
  3  the command crashed (a bug; the message says where)"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m indexer",
        description=__doc__.splitlines()[0],
        epilog=EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    p_load = commands.add_parser("load", help="load feed files (.json, .ndjson, .csv) into store and index")
    p_load.add_argument("paths", nargs="+", type=Path)
    p_load.add_argument("--incremental", action="store_true", help="upsert into the live index, no rebuild")
    p_load.add_argument("--report", type=Path, help="write rejected records as JSON lines to this file")
    p_load.add_argument("--no-progress", action="store_true")
    p_load.add_argument(
        "--feed", help="name of the feed, the source of the facts it confirms (default: the files' names)"
    )
    p_load.set_defaults(run=load_command)
    p_rebuild = commands.add_parser("rebuild", help="recreate the index from the store")
    p_rebuild.add_argument("--no-progress", action="store_true")
    p_rebuild.set_defaults(run=rebuild_command)
    p_sync = commands.add_parser("sync", help="index listing changes queued while Elasticsearch was down")
    p_sync.set_defaults(run=sync_command)
    p_art = commands.add_parser("articles", help="validate and index the Learn articles (Markdown)")
    p_art.add_argument("directory", nargs="?", type=Path, help="default: fixtures/content")
    p_art.set_defaults(run=articles_command)
    p_remind = commands.add_parser(
        "reminders", help="mail clinics whose facts are getting stale or credentials expire soon (once each)"
    )
    p_remind.add_argument("--today", type=date.fromisoformat, help="the day to judge by (default: today)")
    p_remind.set_defaults(run=reminders_command)
    args = parser.parse_args(argv)
    # A feed's text is echoed in rejections: never let an odd character end the run.
    sys.stderr.reconfigure(errors="backslashreplace")
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
        return EXIT_CANNOT_RUN
    except SQLAlchemyOperationalError as err:
        print(f"error: the store became unreachable: {err}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except Exception:  # noqa: BLE001 - a crash gets its own exit status, after the traceback
        traceback.print_exc()
        print("error: the command crashed (a bug); nothing after the last batch was stored", file=sys.stderr)
        return EXIT_CRASHED


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
        return EXIT_CANNOT_RUN
    client = reachable_client(settings)
    if client is None:
        return EXIT_CANNOT_RUN
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
        feed=args.feed,
    )
    for rejection in report.rejected:
        print(f"rejected: {rejection}", file=sys.stderr)
    if args.report:
        with args.report.open("w") as out:
            for r in report.rejected:
                out.write(json.dumps(r.__dict__) + "\n")
    print(report.summary(), file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_REJECTED


def rebuild_command(args: argparse.Namespace, settings: Settings) -> int:
    """Recreate the index behind the alias from every listing in the store."""
    client = reachable_client(settings)
    if client is None:
        return EXIT_CANNOT_RUN
    result = load.rebuild_from_store(
        open_store(settings.database_url),
        client,
        settings.index,
        progress=_progress(args),
        shards=settings.index_shards,
        replicas=settings.index_replicas,
    )
    print(f"indexed {result.indexed} documents into alias {settings.index!r}", file=sys.stderr)
    return EXIT_OK if not result.errors else EXIT_REJECTED


def sync_command(args: argparse.Namespace, settings: Settings) -> int:
    """Index the listings queued in the outbox (changes saved while Elasticsearch was down)."""
    from indexer.sync import index_pending
    from registry import outbox

    client = reachable_client(settings)
    if client is None:
        return EXIT_CANNOT_RUN
    engine = open_store(settings.database_url)
    result = index_pending(engine, client, settings.index)
    for clinic_id, reason in result.refused.items():
        print(f"refused: {clinic_id}: {reason}", file=sys.stderr)
    waiting = outbox.pending(engine) - outbox.due(engine)
    print(
        f"indexed {result.indexed} queued listings, {outbox.due(engine)} still due, "
        f"{waiting} refused by Elasticsearch and waiting to retry (the admin queue lists them)",
        file=sys.stderr,
    )
    return EXIT_OK if result.error is None and not result.failed else EXIT_REJECTED


def articles_command(args: argparse.Namespace, settings: Settings) -> int:
    """Validate every article first, so one bad file leaves the serving index untouched."""
    from indexer import articles

    directory = args.directory or articles.CONTENT_DIR
    if not directory.is_dir():
        print(f"error: no such directory: {directory}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        found = articles.load_articles(directory)
    except articles.ArticleError as err:
        for path, name, reason in err.problems:
            print(f"invalid: {path}: {name}: {reason}", file=sys.stderr)
        print(f"nothing indexed: {len(err.problems)} problem(s) in {directory}", file=sys.stderr)
        return EXIT_REJECTED
    client = reachable_client(settings)
    if client is None:
        return EXIT_CANNOT_RUN
    alias = settings.articles_index
    name = articles.index_articles(
        client, alias, found, shards=settings.index_shards, replicas=settings.index_replicas
    )
    print(f"indexed {len(found)} articles into {name} (alias {alias})", file=sys.stderr)
    return EXIT_OK


def reminders_command(args: argparse.Namespace, settings: Settings) -> int:
    """Send the reminders due today that were not sent before (cron-able: run it daily)."""
    from registry.mail import make_mailer
    from registry.reminders import send_reminders

    report = send_reminders(
        open_store(settings.database_url),
        make_mailer(settings.mail_url, settings.mail_from),
        today=args.today or date.today(),
        max_age_days=settings.facts_max_age_days,
        listing_url=settings.public_url.rstrip("/") + "/clinic/listing",
    )
    print(
        f"sent {report.messages} messages about {report.items} reminders to {report.clinics} listings"
        + (f"; mail failed for {len(report.failed)} (tried again next run)" if report.failed else ""),
        file=sys.stderr,
    )
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
