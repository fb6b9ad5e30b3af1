"""Researchers' requests for records, their items, and the outbox of messages to people.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create requests, request_items and outbox."""
    op.create_table(
        "requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("submitted_at", sa.String(40), nullable=False),
        sa.Column("decided_at", sa.String(40), nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("decision_reason", sa.Text, nullable=False),
    )
    op.create_index("ix_requests_user_id", "requests", ["user_id"])
    op.create_index("ix_requests_state", "requests", ["state"])
    op.create_table(
        "request_items",
        sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("aip_id", sa.String(36), sa.ForeignKey("aips.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("target", sa.Text, primary_key=True),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("to_address", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("sent_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("outbox")
    op.drop_table("request_items")
    op.drop_table("requests")
