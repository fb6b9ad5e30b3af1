"""Lost files: stored files of an AIP with no intact copy in any location, as the last audit found them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create lost_files (a new table: nothing is rebuilt)."""
    op.create_table(
        "lost_files",
        sa.Column("aip_id", sa.String(36), sa.ForeignKey("aips.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("states", sa.Text, nullable=False),
        sa.Column("found_at", sa.String(40), nullable=False, server_default=""),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("lost_files")
