"""Writes the hostile-feed corpus beside it (hostile.ndjson, .csv, .json and expected.json).

Run from the repository root: python tests/indexer/hostile/make_corpus.py. The files are
checked in; tests/indexer/test_hostile_feeds.py loads them (and adds the oversized records,
too large to keep in the repository, at test time).
"""

import csv
import io
import json
from pathlib import Path

out = Path(__file__).parent
base = json.loads((out.parents[2] / "fixtures" / "malformed.ndjson").open().readline())
base["reviews"] = base["reviews"][:2]


def rec(i, **changes):
    r = json.loads(json.dumps(base))
    r["id"] = f"h-{i}"
    r["name"] = f"Hostile Test Clinic {i}"
    for rv in r["reviews"]:
        rv["id"] = f"{r['id']}-{rv['id']}"
    r.update(changes)
    return r


lines = []  # (bytes, good?)


def add(obj_or_bytes, good=False):
    b = obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes).encode()
    lines.append((b, good))


add(rec("nd-good-1"), True)
add(b"[" * 5000 + b"]" * 5000)  # 5,000 deep
add(b'{"id": "h-deep-field", "hours": ' + b"[" * 3000 + b"]" * 3000 + b"}")
add(rec("surrogate", name="Clinic \udcff"))  # json.dumps writes the escape "\\udcff"
add(rec("nul", name="Glow\u0000Clinic"))
add(rec("blank-name", name=" \t  "))
add(rec("future", updated_at="2099-01-01T00:00:00Z"))
add(b'{"id": "h-bad-utf8", "name": "Caf\xe9 \xff Skin"}')
add(
    rec(
        "too-many-creds",
        certifications=[{"code": "registered-nurse", "number": f"N-{n}"} for n in range(3000)],
    )
)
add(rec("escape", **{"\u001b[31mred": 1}))
add(b"[1, 2, 3]")
add(b"null")
add(b'{"id": "h-truncated", "name": ')
add(
    b'{"id": "h-lat-inf", "name": "Inf", "address": {"city": "Charlotte", "state": "NC"}, '
    b'"location": {"lat": 1e400, "lon": 0}}'
)
add(rec("big-int", reviews=[{"id": "r1", "rating": 10**30, "date": "2024-01-01"}]))
add(
    rec(
        "newline-id\nrejected: forged",
    )
)
add(rec("nd-good-2", name="  Tidy  Clinic  ", description="Line one\r\nline two"), True)
add(rec("nd-good-3", name="Cafe\u0301 Lumie\u0300re"), True)  # NFC-normalised, not rejected
(out / "hostile.ndjson").write_bytes(b"\n".join(b for b, _ in lines) + b"\n")
ndjson_bad = [i + 1 for i, (_, good) in enumerate(lines) if not good]

# CSV: both `name` and `name.first`, deep JSON cells, NUL, bad UTF-8, extra cells ...
cols = ["id", "name", "name.first", "address.city", "address.state", "treatments", "hours", "updated_at"]


def row(*cells):
    s = io.StringIO()
    csv.writer(s, lineterminator="\n").writerow(cells)
    return s.getvalue().encode()


rows = [(row(*cols), None)]
rows.append(
    (
        row(
            "h-csv-good-1",
            "Good CSV Clinic",
            "",
            "Charlotte",
            "NC",
            "microneedling",
            '{"timezone": "America/New_York", "mon": ["09:00-17:00"]}',
            "",
        ),
        True,
    )
)
rows.append((row("h-csv-name-conflict", "Name", "First", "Charlotte", "NC", "", "", ""), False))
rows.append((row("h-csv-deep", "Deep", "", "Charlotte", "NC", "", "[" * 5000 + "]" * 5000, ""), False))
rows.append((row("h-csv-nul", "Nul\x00Clinic", "", "Charlotte", "NC", "", "", ""), False))
rows.append((row("h-csv-utf8", "X", "", "Charlotte", "NC", "", "", "").replace(b"X", b"Caf\xe9"), False))
rows.append((row("h-csv-extra", "Extra", "", "Charlotte", "NC", "", "", "", "surplus"), False))
rows.append((row("h-csv-blank", "   ", "", "Charlotte", "NC", "", "", ""), False))
rows.append((row("h-csv-future", "Future", "", "Charlotte", "NC", "", "", "2099-05-05T00:00:00Z"), False))
rows.append(
    (
        row(
            "h-csv-good-2",
            "Second Good CSV Clinic",
            "",
            "Raleigh",
            "NC",
            "microneedling;hydrafacial",
            "",
            "2025-01-01T00:00:00Z",
        ),
        True,
    )
)
(out / "hostile.csv").write_bytes(b"".join(r for r, _ in rows))
csv_bad = [i + 1 for i, (_, good) in enumerate(rows) if good is False]

items = [
    rec("json-good-1"),
    "not an object",
    42,
    rec("json-future", updated_at="2099-01-01T00:00:00Z"),
    rec("json-good-2"),
]
(out / "hostile.json").write_text(json.dumps({"clinics": items}))
expected = {
    "good": [
        "h-nd-good-1",
        "h-nd-good-2",
        "h-nd-good-3",
        "h-csv-good-1",
        "h-csv-good-2",
        "h-json-good-1",
        "h-json-good-2",
    ],
    "rejected_at": {
        "hostile.ndjson": [f":{n}" for n in ndjson_bad],
        "hostile.csv": [f":{n}" for n in csv_bad],
        "hostile.json": ["#record2", "#record3", "#record4"],
    },
}
(out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
print(expected)
