"""Derivatives left for after ingest: aips.copies ("" none, "pending", "making:HOST:PID").

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add aips.copies (a new column with a default: nothing is rebuilt)."""
    op.add_column("aips", sa.Column("copies", sa.String(300), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("aips") as batch:
        batch.drop_column("copies")
