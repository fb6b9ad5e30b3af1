"""Descriptive metadata (Dublin Core) of AIPs and of the files and folders in them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the descriptions table: one row per value, in the order given."""
    op.create_table(
        "descriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("aip_id", sa.String(36), sa.ForeignKey("aips.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("target", sa.Text, nullable=False, server_default=""),
        sa.Column("element", sa.String(40), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Drop the descriptions table."""
    op.drop_table("descriptions")
