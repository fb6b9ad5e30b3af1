"""Delivery of approved requests: where the DIP is, how many files, until when its link works.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = ("dip_location", "dip_key", "delivered_at", "expires_at", "delivery_note")


def upgrade() -> None:
    """Add the delivery columns to requests (no table is rebuilt)."""
    for name in COLUMNS:
        op.add_column("requests", sa.Column(name, sa.Text, nullable=False, server_default=""))
    op.add_column("requests", sa.Column("dip_files", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("requests") as batch:
        for name in (*COLUMNS, "dip_files"):
            batch.drop_column(name)
