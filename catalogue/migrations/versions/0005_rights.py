"""Rights statements about AIPs and their files.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the rights table: one row per statement and target, the statement as JSON."""
    op.create_table(
        "rights",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("aip_id", sa.String(36), sa.ForeignKey("aips.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("target", sa.Text, nullable=False, server_default=""),
        sa.Column("basis", sa.String(20), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop the rights table."""
    op.drop_table("rights")
