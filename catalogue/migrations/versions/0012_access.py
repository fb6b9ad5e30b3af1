"""Archival description and access: units of description, archivists' access decisions, and the
effective access of every AIP and file.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create units and access_decisions; add access columns to aips and files."""
    op.create_table(
        "units",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("aip_id", sa.String(36), sa.ForeignKey("aips.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("reference", sa.String(255), nullable=False, unique=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("parent_reference", sa.String(255), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("date_text", sa.String(100), nullable=False),
        sa.Column("date_start", sa.String(10), nullable=False),
        sa.Column("date_end", sa.String(10), nullable=False),
        sa.Column("closure_kind", sa.String(40), nullable=False),
    )
    op.create_index("ix_units_aip_id", "units", ["aip_id"])
    op.create_index("ix_units_parent_reference", "units", ["parent_reference"])
    op.create_table(
        "access_decisions",
        sa.Column("aip_id", sa.String(36), sa.ForeignKey("aips.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("target", sa.Text, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("closed_until", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("decided_at", sa.String(40), nullable=False),
    )
    for table in ("aips", "files"):  # plain ADD COLUMN: no table is rebuilt (1,000,000 files stay where they are)
        # closed until worked out (`preserve upgrade` works every record out right after migrating)
        op.add_column(table, sa.Column("access", sa.String(20), nullable=False, server_default="closed"))
        op.add_column(table, sa.Column("closed_until", sa.String(10), nullable=False, server_default=""))
    op.add_column("files", sa.Column("access_reason", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    """Drop them."""
    for table in ("files", "aips"):
        with op.batch_alter_table(table) as batch:
            if table == "files":
                batch.drop_column("access_reason")
            batch.drop_column("closed_until")
            batch.drop_column("access")
    op.drop_table("access_decisions")
    op.drop_table("units")
