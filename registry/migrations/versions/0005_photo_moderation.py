"""Photo moderation: an administrator may hide a photo, with a reason the clinic sees.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.add_column(sa.Column("hidden_reason", sa.Text, nullable=True))
        batch.add_column(sa.Column("hidden_by", sa.String(254), nullable=True))
        batch.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.drop_column("hidden_at")
        batch.drop_column("hidden_by")
        batch.drop_column("hidden_reason")
