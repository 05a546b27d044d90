"""Consumers' reviews beside feed reviews (kind, status, moderation), consultation requests,
the links mailed to consumers, the moderation log, clinics' flags, helpful votes, daily counters.

Revision ID: 0007
Revises: 0006

Existing reviews become published feed reviews. The paging indexes lead with the listing and
the status, so a page of one listing's published reviews is one index range however many
reviews the store holds. On PostgreSQL `review_id` is compared byte by byte (collation "C"),
as Python and SQLite do, so the index serves the tie-break of every order.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

STARS = [f"verified_{n}" for n in range(1, 6)]
REVIEW_COLUMNS = [
    sa.Column("kind", sa.String(16), nullable=False, server_default="feed"),
    sa.Column("status", sa.String(16), nullable=False, server_default="published"),
    sa.Column("helpful", sa.Integer, nullable=False, server_default="0"),
    sa.Column("treatment", sa.String(64), nullable=True),
    sa.Column("visit_month", sa.String(7), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("account_email", sa.String(254), nullable=True),
    sa.Column("client_hash", sa.String(64), nullable=True),
    sa.Column("network_hash", sa.String(64), nullable=True),
    sa.Column("fingerprint", sa.String(64), nullable=True),
    sa.Column("request_id", sa.Integer, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("response", sa.Text, nullable=True),
    sa.Column("response_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("response_by", sa.String(254), nullable=True),
]
# name -> (columns, partial-index condition or None)
REVIEW_INDEXES = {
    "ix_reviews_newest": (["clinic_id", "status", "date", "review_id"], None),
    "ix_reviews_rating": (["clinic_id", "status", "rating", "date", "review_id"], None),
    # lowest first, newest first among equal ratings: the directions turn, so an index of its own
    "ix_reviews_lowest": (
        ["clinic_id", "status", "rating", sa.text("date DESC"), sa.text("review_id DESC")],
        None,
    ),
    "ix_reviews_helpful": (["clinic_id", "status", "helpful", "date", "review_id"], None),
    # What the automatic checks look up around a new review (registry.review_moderation.evidence).
    "ix_reviews_recent": (["clinic_id", "created_at"], None),
    "ix_reviews_reviewer": (["email", "clinic_id"], "email IS NOT NULL"),
    "ix_reviews_fingerprint": (["fingerprint"], "fingerprint IS NOT NULL"),
    "ix_reviews_client": (["client_hash", "created_at"], "client_hash IS NOT NULL"),
    "ix_reviews_network": (["network_hash", "created_at"], "network_hash IS NOT NULL"),
    "ix_reviews_unpublished": (["status", "created_at"], "status <> 'published'"),
    "ix_reviews_contact": (["changed_at"], "email IS NOT NULL"),
}


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("reviews") as batch:
        for column in REVIEW_COLUMNS:
            batch.add_column(column)
        if postgres:
            batch.alter_column("review_id", type_=sa.String(64, collation="C"), existing_nullable=False)
    for name, (columns, where) in REVIEW_INDEXES.items():
        condition = sa.text(where) if where else None
        op.create_index(name, "reviews", columns, postgresql_where=condition, sqlite_where=condition)
    with op.batch_alter_table("review_stats") as batch:
        for name in STARS:
            batch.add_column(sa.Column(name, sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("photos") as batch:
        batch.add_column(
            sa.Column(
                "review_id",
                sa.Integer,
                sa.ForeignKey("reviews.id", name="fk_photos_review_id"),
                nullable=True,
            )
        )
        batch.create_index("ix_photos_review_id", ["review_id"])

    op.create_table(
        "consultation_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("clinic_id", sa.String(64), sa.ForeignKey("clinics.id"), nullable=False, index=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("treatment", sa.String(64), nullable=True),
        sa.Column("preferences", sa.JSON, nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("client_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "consumer_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column(
            "request_id", sa.Integer, sa.ForeignKey("consultation_requests.id"), nullable=True, index=True
        ),
        sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), nullable=True, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), nullable=False, index=True),
        sa.Column("clinic_id", sa.String(64), nullable=False, index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "review_flags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), nullable=False, index=True),
        sa.Column("clinic_id", sa.String(64), nullable=False, index=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("flagged_by", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "review_votes",
        sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), primary_key=True),
        sa.Column("voter_hash", sa.String(64), primary_key=True),
    )
    op.create_table(
        "daily_counts",
        sa.Column("clinic_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Back to feed reviews only: consumers' reviews and everything about them are dropped."""
    for table in ("daily_counts", "review_votes", "review_flags", "review_decisions", "consumer_links"):
        op.drop_table(table)
    op.drop_table("consultation_requests")
    op.execute("DELETE FROM photos WHERE review_id IS NOT NULL")
    with op.batch_alter_table("photos") as batch:
        batch.drop_index("ix_photos_review_id")
        batch.drop_column("review_id")
    feed_only = ", ".join(
        f"stars_{n} = (SELECT count(*) FROM reviews r WHERE r.clinic_id = review_stats.clinic_id"
        f" AND r.kind = 'feed' AND r.rating = {n})"
        for n in range(1, 6)
    )
    op.execute(
        f"UPDATE review_stats SET {feed_only} "
        "WHERE clinic_id IN (SELECT clinic_id FROM reviews WHERE kind <> 'feed')"
    )
    op.execute("DELETE FROM reviews WHERE kind <> 'feed'")
    with op.batch_alter_table("review_stats") as batch:
        for name in STARS:
            batch.drop_column(name)
    for name in REVIEW_INDEXES:
        op.drop_index(name, "reviews")
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("reviews") as batch:
        if postgres:
            batch.alter_column("review_id", type_=sa.String(64), existing_nullable=False)
        for column in REVIEW_COLUMNS:
            batch.drop_column(column.name)
