"""Fixity audits: the digest of each copy's inventory, when its metadata was last checked, and a
history of every check (for schedules and reports).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the replicas' inventory digest and metadata-check time; create fixity_checks."""
    with op.batch_alter_table("replicas") as table:
        table.add_column(sa.Column("inventory_sha512", sa.String(128), nullable=False, server_default=""))
        table.add_column(sa.Column("metadata_checked_at", sa.String(40), nullable=False, server_default=""))
    op.create_table(
        "fixity_checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("aip_id", sa.String(36), sa.ForeignKey("aips.id", ondelete="CASCADE"), nullable=False),
        sa.Column("location", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("checked_at", sa.String(40), nullable=False),
        sa.Column("files", sa.Integer, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("problems", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
    )
    op.create_index("ix_fixity_checks_location_time", "fixity_checks", ["location", "checked_at"])
    op.create_index("ix_fixity_checks_aip_id", "fixity_checks", ["aip_id"])


def downgrade() -> None:
    """Drop fixity_checks and the replicas' new columns."""
    op.drop_table("fixity_checks")
    with op.batch_alter_table("replicas") as table:
        table.drop_column("metadata_checked_at")
        table.drop_column("inventory_sha512")
