"""registry/counters.py: counting costs no database write; a flush writes a batch in one statement."""

from sqlalchemy import event, func, select

from registry.counters import Tally, daily, today
from registry.models import DailyCount


def test_views_are_counted_in_memory_and_written_in_one_batch(engine):
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    tally = Tally()
    for _ in range(500):
        tally.add("a", "view")
    tally.add("a", "contact")
    tally.add("b", "view", 3)
    assert statements == [], "no write per page view"
    assert daily(engine, "a", 2, tally)[0] | {"day": None} == {
        "day": None,
        "view": 500,
        "contact": 1,
        "request": 0,
    }

    assert tally.flush(engine) == 3
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 1
    tally.add("a", "view", 2)
    tally.flush(engine)
    assert tally.flush(engine) == 0
    with engine.connect() as connection:
        rows = dict(
            connection.execute(
                select(DailyCount.kind, func.sum(DailyCount.count))
                .where(DailyCount.clinic_id == "a")
                .group_by(DailyCount.kind)
            ).all()
        )
    assert rows == {"view": 502, "contact": 1}
    [first, second] = daily(engine, "a", 2)
    assert first["day"] == today() and first["view"] == 502 and second["view"] == 0
