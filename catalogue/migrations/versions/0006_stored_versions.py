"""Object-store VersionIds of each stored copy's keys, recorded once the copy is verified.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the stored_versions table: one row per key of a copy on a versioned store."""
    op.create_table(
        "stored_versions",
        sa.Column("aip_id", sa.String(36), sa.ForeignKey("aips.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("location", sa.String(100), sa.ForeignKey("storage_locations.name"), primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("version_id", sa.String(1024), nullable=False),
    )


def downgrade() -> None:
    """Drop the stored_versions table."""
    op.drop_table("stored_versions")
