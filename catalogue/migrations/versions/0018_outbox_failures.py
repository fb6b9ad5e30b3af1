"""Outbox failures: a message the mail server (or the mail library) refused keeps why, and is set aside.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add outbox.failure and outbox.failed_at (new columns with defaults: nothing is rebuilt)."""
    op.add_column("outbox", sa.Column("failure", sa.Text, nullable=False, server_default=""))
    op.add_column("outbox", sa.Column("failed_at", sa.String(40), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("failed_at")
        batch.drop_column("failure")
