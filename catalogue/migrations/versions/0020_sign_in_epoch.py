"""Device cookies end with the sessions: users.sessions_reset_at, changed whenever an account's sessions are ended
(a new password, a new role, disabling, `preserve user sessions --end`); device cookies are signed with it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add users.sessions_reset_at (a new column with a default: nothing is rebuilt)."""
    op.add_column("users", sa.Column("sessions_reset_at", sa.Float, nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sessions_reset_at")
