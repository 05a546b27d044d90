"""Provenance of each group of a listing's facts, and the reminders sent about them.

Revision ID: 0008
Revises: 0007

`clinics.facts` starts empty: a listing without it reads as changed and confirmed at its
`updated_at` by its row's source (registry.provenance.complete), so no rows are rewritten.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.add_column(sa.Column("facts", sa.JSON, nullable=True))
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("clinic_id", sa.String(64), sa.ForeignKey("clinics.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("sent_to", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("clinic_id", "kind", "key"),
    )


def downgrade() -> None:
    op.drop_table("reminders_sent")
    with op.batch_alter_table("clinics") as batch:
        batch.drop_column("facts")
