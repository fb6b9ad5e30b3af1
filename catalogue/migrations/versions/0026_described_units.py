"""Units of description from the archive's own catalogue (EAD finding aids imported from CALM or AtoM):
described_units, which AIPs can be placed under.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "described_units",
        sa.Column("reference", sa.String(255), primary_key=True),
        sa.Column("parent_reference", sa.String(255), nullable=False, server_default=""),
        sa.Column("level", sa.String(40), nullable=False, server_default=""),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("date", sa.String(100), nullable=False, server_default=""),
        sa.Column("date_text", sa.Text, nullable=False, server_default=""),
        sa.Column("date_start", sa.String(10), nullable=False, server_default=""),
        sa.Column("date_end", sa.String(10), nullable=False, server_default=""),
        sa.Column("extent", sa.Text, nullable=False, server_default=""),
        sa.Column("scope", sa.Text, nullable=False, server_default=""),
        sa.Column("access_text", sa.Text, nullable=False, server_default=""),
        sa.Column("closure_kind", sa.String(40), nullable=False, server_default=""),
        sa.Column("closed_until", sa.String(10), nullable=False, server_default=""),
        sa.Column("creators", sa.Text, nullable=False, server_default="[]"),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        sa.Column("changed_at", sa.String(40), nullable=False, server_default=""),
    )
    op.create_index("ix_described_units_parent_reference", "described_units", ["parent_reference"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_described_units_parent_reference", table_name="described_units")
    op.drop_table("described_units")
