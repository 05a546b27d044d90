"""Reviews move out of the clinic record into their own table, with per-listing aggregates;
listings get `changed_at` (when the row was last written).

Revision ID: 0004
Revises: 0003

A data migration: every stored record's `reviews` become rows of `reviews` (in their order,
`position`) and one `review_stats` row; the record keeps everything else. `changed_at` starts
as `updated_at`. The downgrade puts the reviews back into the records.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

BATCH = 1000
STARS = [f"stars_{n}" for n in range(1, 6)]

clinics = sa.table(
    "clinics",
    sa.column("id", sa.String),
    sa.column("record", sa.JSON),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("changed_at", sa.DateTime(timezone=True)),
)
reviews = sa.table(
    "reviews",
    sa.column("clinic_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("review_id", sa.String),
    sa.column("rating", sa.Integer),
    sa.column("date", sa.Date),
    sa.column("verified", sa.Boolean),
    sa.column("content", sa.JSON),
)
review_stats = sa.table(
    "review_stats",
    sa.column("clinic_id", sa.String),
    *(sa.column(name, sa.Integer) for name in STARS),
    sa.column("changed_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("clinic_id", sa.String(64), sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("review_id", sa.String(64), nullable=False),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.UniqueConstraint("clinic_id", "review_id", name="uq_reviews_clinic_id"),
    )
    op.create_table(
        "review_stats",
        sa.Column("clinic_id", sa.String(64), sa.ForeignKey("clinics.id"), primary_key=True),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in STARS),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_review_stats_changed_at", "review_stats", ["changed_at"])
    with op.batch_alter_table("clinics") as batch:
        batch.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    _move_reviews_out()
    with op.batch_alter_table("clinics") as batch:
        batch.alter_column("changed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.create_index("ix_clinics_changed_at", ["changed_at"])


def _batches(connection, columns):
    last = ""
    while True:
        rows = connection.execute(
            sa.select(*columns).where(clinics.c.id > last).order_by(clinics.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _move_reviews_out() -> None:
    connection = op.get_bind()
    for rows in _batches(connection, [clinics.c.id, clinics.c.record, clinics.c.updated_at]):
        review_rows, stats_rows, updates = [], [], []
        for row in rows:
            record = dict(row.record)
            found = record.pop("reviews", None) or []
            stars = [0] * 5
            for position, review in enumerate(found):
                stars[int(review["rating"]) - 1] += 1
                review_rows.append(
                    {
                        "clinic_id": row.id,
                        "position": position,
                        "review_id": review["id"],
                        "rating": int(review["rating"]),
                        "date": dt.date.fromisoformat(review["date"]),
                        "verified": bool(review.get("verified", False)),
                        "content": {
                            k: review.get(k, "" if k == "text" else None) for k in ("title", "text", "author")
                        },
                    }
                )
            stats_rows.append(
                {"clinic_id": row.id, **dict(zip(STARS, stars, strict=True)), "changed_at": row.updated_at}
            )
            updates.append({"b_id": row.id, "b_record": record, "b_changed": row.updated_at})
        if review_rows:
            connection.execute(reviews.insert(), review_rows)
        connection.execute(review_stats.insert(), stats_rows)
        connection.execute(
            clinics.update()
            .where(clinics.c.id == sa.bindparam("b_id"))
            .values(record=sa.bindparam("b_record"), changed_at=sa.bindparam("b_changed")),
            updates,
        )


def downgrade() -> None:
    connection = op.get_bind()
    for rows in _batches(connection, [clinics.c.id, clinics.c.record]):
        found = connection.execute(
            sa.select(reviews)
            .where(reviews.c.clinic_id.in_([r.id for r in rows]))
            .order_by(reviews.c.clinic_id, reviews.c.position)
        ).all()
        by_clinic: dict[str, list[dict]] = {}
        for r in found:
            by_clinic.setdefault(r.clinic_id, []).append(
                {
                    "id": r.review_id,
                    "rating": r.rating,
                    "title": r.content.get("title"),
                    "text": r.content.get("text", ""),
                    "author": r.content.get("author"),
                    "date": r.date.isoformat(),
                    "verified": r.verified,
                }
            )
        updates = []
        for row in rows:
            record = {k: v for k, v in row.record.items() if k != "updated_at"}
            record["reviews"] = by_clinic.get(row.id, [])
            if "updated_at" in row.record:
                record["updated_at"] = row.record["updated_at"]
            updates.append({"b_id": row.id, "b_record": record})
        connection.execute(
            clinics.update()
            .where(clinics.c.id == sa.bindparam("b_id"))
            .values(record=sa.bindparam("b_record")),
            updates,
        )
    with op.batch_alter_table("clinics") as batch:
        batch.drop_index("ix_clinics_changed_at")
        batch.drop_column("changed_at")
    op.drop_table("review_stats")
    op.drop_table("reviews")
