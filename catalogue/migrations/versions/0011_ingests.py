"""Ingest runs: state, progress totals and the error (with its traceback) of each ingest.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the ingests table."""
    op.create_table(
        "ingests",
        sa.Column("transfer_id", sa.String(36), primary_key=True),
        sa.Column("aip_id", sa.String(36), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("executor", sa.String(20), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started", sa.String(40), nullable=False),
        sa.Column("finished", sa.String(40), nullable=False),
        sa.Column("files", sa.Integer, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("hint", sa.Text, nullable=False),
        sa.Column("traceback", sa.Text, nullable=False),
        sa.Column("failed_files", sa.Text, nullable=False),
    )
    op.create_index("ix_ingests_aip_id", "ingests", ["aip_id"])
    op.create_index("ix_ingests_started", "ingests", ["started"])


def downgrade() -> None:
    """Drop the ingests table."""
    op.drop_table("ingests")
