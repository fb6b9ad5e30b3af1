"""Portal security: sign-in and registration attempts counted where every server process sees them, server-side
sessions, pending registrations, and revoked requests.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create attempts, portal_sessions and registrations; add requests.revoked_at and revoked_reason."""
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(400), nullable=False, index=True),
        sa.Column("at", sa.Float, nullable=False, index=True),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float, nullable=False, server_default="0"),
        sa.Column("ended_why", sa.Text, nullable=False, server_default=""),
        sa.Column("client", sa.String(64), nullable=False, server_default=""),
        sa.Column("agent", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "registrations",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.add_column("requests", sa.Column("revoked_at", sa.Text, nullable=False, server_default=""))
    op.add_column("requests", sa.Column("revoked_reason", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("revoked_reason")
        batch.drop_column("revoked_at")
    op.drop_table("registrations")
    op.drop_table("portal_sessions")
    op.drop_table("attempts")
