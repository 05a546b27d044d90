"""Read clinic records from feed files (.json, .ndjson, .csv), one raw record at a time.

Each item says where it came from (file and line or record number) so a rejection can
name its place; a line that is not even parseable becomes a `FeedError` item instead of
stopping the read.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# CSV cells holding structured values as JSON text; `treatments` is ';'-separated codes.
CSV_JSON_COLUMNS = {"hours", "certifications", "reviews"}


@dataclass(frozen=True)
class FeedItem:
    """A record, or for NDJSON read with parse=False its raw line (parsed later, in a worker)."""

    where: str
    record: dict | str


@dataclass(frozen=True)
class FeedError:
    where: str
    field: str
    reason: str


def read_feed(path: Path, parse: bool = True) -> Iterator[FeedItem | FeedError]:
    """Yield the records of one feed file; the format follows the file extension."""
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".jsonl"):
        yield from _read_ndjson(path) if parse else _raw_lines(path)
    elif suffix == ".json":
        yield from _read_json(path)
    elif suffix == ".csv":
        yield from _read_csv(path)
    else:
        yield FeedError(str(path), "_file", f"unsupported file type {suffix!r} (use .json, .ndjson or .csv)")


def _raw_lines(path: Path) -> Iterator[FeedItem]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                yield FeedItem(f"{path}:{number}", line)


def _read_ndjson(path: Path) -> Iterator[FeedItem | FeedError]:
    for item in _raw_lines(path):
        yield parse_line(item.where, item.record)


def parse_line(where: str, line: str) -> FeedItem | FeedError:
    """One NDJSON line: a record, or an error saying why it is not one."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        return FeedError(where, "_line", f"not valid JSON ({err.msg} at column {err.colno})")
    if isinstance(value, dict):
        return FeedItem(where, value)
    return FeedError(where, "_line", "expected a JSON object")


def _read_json(path: Path) -> Iterator[FeedItem | FeedError]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        yield FeedError(str(path), "_file", f"not valid JSON ({err})")
        return
    if isinstance(value, dict) and isinstance(value.get("clinics"), list):
        value = value["clinics"]
    if not isinstance(value, list):
        yield FeedError(str(path), "_file", 'expected a list of records or {"clinics": [...]}')
        return
    for number, item in enumerate(value, 1):
        where = f"{path}#record{number}"
        if isinstance(item, dict):
            yield FeedItem(where, item)
        else:
            yield FeedError(where, "_record", "expected a JSON object")


def _read_csv(path: Path) -> Iterator[FeedItem | FeedError]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            # line_num is the last physical line of the row (cells may span lines)
            where = f"{path}:{reader.line_num}"
            record: dict = {}
            error = None
            for column, cell in row.items():
                if column is None or cell is None or cell.strip() == "":
                    continue
                try:
                    value = _csv_value(column, cell.strip())
                except json.JSONDecodeError as err:
                    error = FeedError(where, column, f"not valid JSON ({err.msg})")
                    break
                target = record
                *parents, leaf = column.split(".")
                for part in parents:
                    target = target.setdefault(part, {})
                target[leaf] = value
            yield error or FeedItem(where, record)


def _csv_value(column: str, cell: str):
    if column in CSV_JSON_COLUMNS:
        return json.loads(cell)
    if column == "treatments":
        return [t.strip() for t in cell.split(";") if t.strip()]
    return cell
