"""Where each ingest's time went: ingests.timings (JSON), written after every step.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ingests.timings (a new column with a default: nothing is rebuilt)."""
    op.add_column("ingests", sa.Column("timings", sa.Text, nullable=False, server_default="{}"))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("ingests") as batch:
        batch.drop_column("timings")
