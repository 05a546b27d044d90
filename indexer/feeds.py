"""Read clinic records from feed files (.json, .ndjson, .csv), one raw record at a time.

Each item says where it came from (file and line or record number) so a rejection can
name its place. Whatever is wrong with one record (not JSON, not UTF-8, nested too deep,
larger than MAX_RECORD_BYTES, cells that contradict each other) becomes a `FeedError` item
for that record, and reading goes on with the next one: a hostile line never stops a load.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# CSV cells holding structured values as JSON text; `treatments` is ';'-separated codes.
CSV_JSON_COLUMNS = {"hours", "certifications", "reviews"}
# One record (an NDJSON line, a CSV row) at most; the largest sample record is 58 KB.
MAX_RECORD_BYTES = 2 * 1024 * 1024
# A .json feed is parsed whole; larger feeds belong in .ndjson, which is streamed.
MAX_JSON_FILE_BYTES = 64 * 1024 * 1024


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


class _LineError(ValueError):
    """A physical line that cannot be a record's text: too long, or not UTF-8."""


def _lines(handle: BinaryIO) -> Iterator[str | _LineError]:
    """The file's lines, decoded; a line too long or not UTF-8 comes as a `_LineError` instead.

    A line is never held whole beyond MAX_RECORD_BYTES: the rest of an oversized one is skipped.
    """
    first = True
    while line := handle.readline(MAX_RECORD_BYTES + 1):
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            while (rest := handle.readline(1024 * 1024)) and not rest.endswith(b"\n"):
                pass
            yield _LineError(f"longer than the {MAX_RECORD_BYTES // 1024 // 1024} MiB a record may take")
            continue
        if first and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]  # a byte order mark, as spreadsheet programs write
        first = False
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as err:
            yield _LineError(f"not valid UTF-8 (byte 0x{line[err.start]:02x} at byte {err.start + 1})")


def _raw_lines(path: Path) -> Iterator[FeedItem | FeedError]:
    with path.open("rb") as handle:
        for number, line in enumerate(_lines(handle), 1):
            where = f"{path}:{number}"
            if isinstance(line, _LineError):
                yield FeedError(where, "_line", str(line))
            elif line.strip():
                yield FeedItem(where, line)


def _read_ndjson(path: Path) -> Iterator[FeedItem | FeedError]:
    for item in _raw_lines(path):
        yield parse_line(item.where, item.record) if isinstance(item, FeedItem) else item


def _loads(text: str):
    """json.loads, with nesting too deep for the parser reported like any other JSON error."""
    try:
        return json.loads(text)
    except RecursionError as err:
        raise ValueError("nested too deeply") from err


def _json_problem(err: ValueError) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"not valid JSON ({err.msg} at column {err.colno})"
    return f"not valid JSON ({err})"


def parse_line(where: str, line: str) -> FeedItem | FeedError:
    """One NDJSON line: a record, or an error saying why it is not one."""
    try:
        value = _loads(line)
    except ValueError as err:
        return FeedError(where, "_line", _json_problem(err))
    if isinstance(value, dict):
        return FeedItem(where, value)
    return FeedError(where, "_line", "expected a JSON object")


def _read_json(path: Path) -> Iterator[FeedItem | FeedError]:
    if path.stat().st_size > MAX_JSON_FILE_BYTES:
        limit = MAX_JSON_FILE_BYTES // 1024 // 1024
        yield FeedError(str(path), "_file", f"larger than {limit} MiB; send large feeds as .ndjson")
        return
    try:
        value = _loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        yield FeedError(str(path), "_file", f"not valid UTF-8 (byte {err.start + 1})")
        return
    except ValueError as err:
        yield FeedError(str(path), "_file", _json_problem(err))
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


class _CountedLines:
    """The text lines the csv module reads, counted, with a bad line raised as `_LineError`."""

    def __init__(self, handle: BinaryIO):
        self.lines, self.number = _lines(handle), 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.number += 1
        if isinstance(line, _LineError):
            raise line
        return line


def _read_csv(path: Path) -> Iterator[FeedItem | FeedError]:
    csv.field_size_limit(MAX_RECORD_BYTES)  # the default (128 KiB) is below a record's size limit
    with path.open("rb") as handle:
        lines = _CountedLines(handle)
        try:
            header = next(csv.reader(lines))
        except StopIteration:
            return
        except (_LineError, csv.Error) as err:
            yield FeedError(f"{path}:1", "_header", f"the header row is not readable: {err}")
            return
        repeated = sorted({c for c in header if header.count(c) > 1})
        if repeated:
            yield FeedError(f"{path}:1", "_header", f"columns appear more than once: {', '.join(repeated)}")
            return
        rows = csv.reader(lines)
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except (_LineError, csv.Error) as err:
                # The reader starts afresh on the next line; only this row is lost.
                yield FeedError(f"{path}:{lines.number}", "_line", str(err))
                continue
            if not cells:
                continue  # a blank line
            # the number of the row's last physical line (a quoted cell may span lines)
            yield _csv_record(f"{path}:{lines.number}", header, cells)


def _csv_record(where: str, header: list[str], cells: list[str]) -> FeedItem | FeedError:
    if len(cells) > len(header):
        return FeedError(where, "_line", f"{len(cells)} cells but the header names {len(header)} columns")
    record: dict = {}
    for column, cell in zip(header, cells, strict=False):
        if cell.strip() == "":
            continue
        try:
            value = _csv_value(column, cell.strip())
        except ValueError as err:
            return FeedError(where, column, _json_problem(err))
        *parents, leaf = column.split(".")
        target = record
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                return FeedError(where, column, f"conflicts with the column {part!r}")
        if leaf in target:
            return FeedError(where, column, f"conflicts with the columns below it (like {column}.…)")
        target[leaf] = value
    return FeedItem(where, record)


def _csv_value(column: str, cell: str):
    if column in CSV_JSON_COLUMNS:
        return _loads(cell)
    if column == "treatments":
        return [t.strip() for t in cell.split(";") if t.strip()]
    return cell
