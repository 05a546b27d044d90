"""Daily counters of what happens on a listing (profile views, contact clicks, requests), for
the clinic's dashboard, written in batches.

A page view must not cost a database write: each app process counts in memory (`Tally.add`,
a dict update under a lock) and a background thread writes the totals every few seconds
(`Tally.flush`: one executemany of "add n to this day's row"), and once more when the process
exits. A crash loses at most the last interval's counts of that process; the dashboard adds the
counts its own process has not written yet.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from registry.models import DailyCount

KINDS = {"view": "Profile views", "contact": "Contact clicks", "request": "Requests"}
TABLE = DailyCount.__table__


def today() -> date:
    return datetime.now(UTC).date()


def _upsert(dialect: str):
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](TABLE)
    insert = insert.values(
        clinic_id=bindparam("c"), day=bindparam("d"), kind=bindparam("k"), count=bindparam("n")
    )
    return insert.on_conflict_do_update(
        index_elements=[TABLE.c.clinic_id, TABLE.c.day, TABLE.c.kind],
        set_={"count": TABLE.c["count"] + insert.excluded["count"]},
    )


class Tally:
    """One process's counts not yet written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter = Counter()

    def add(self, clinic_id: str, kind: str, n: int = 1) -> None:
        with self._lock:
            self._counts[clinic_id, today(), kind] += n

    def pending(self, clinic_id: str) -> Counter:
        """{(day, kind): n} not yet written for a listing."""
        with self._lock:
            return Counter({(d, k): n for (c, d, k), n in self._counts.items() if c == clinic_id})

    def flush(self, engine: Engine) -> int:
        """Write what was counted since the last flush, in one statement; how many rows it touched.
        If the write fails, the counts are kept for the next try."""
        with self._lock:
            taken, self._counts = self._counts, Counter()
        if not taken:
            return 0
        rows = [{"c": c, "d": d, "k": k, "n": n} for (c, d, k), n in sorted(taken.items())]
        try:
            with engine.begin() as connection:
                connection.execute(_upsert(engine.dialect.name), rows)
        except Exception:
            with self._lock:
                self._counts.update(taken)
            raise
        return len(rows)


def daily(engine: Engine, clinic_id: str, days: int = 14, tally: Tally | None = None) -> list[dict]:
    """The last `days` days, newest first: {"day": date, kind: n, ...}, with `tally`'s unwritten counts."""
    first = today() - timedelta(days=days - 1)
    totals: Counter = Counter(tally.pending(clinic_id) if tally else {})
    with engine.connect() as connection:
        for day, kind, n in connection.execute(
            select(TABLE.c.day, TABLE.c.kind, TABLE.c["count"]).where(
                TABLE.c.clinic_id == clinic_id, TABLE.c.day >= first
            )
        ):
            totals[day, kind] += n
    return [
        {"day": day, **{kind: totals[day, kind] for kind in KINDS}}
        for day in (today() - timedelta(days=i) for i in range(days))
    ]
