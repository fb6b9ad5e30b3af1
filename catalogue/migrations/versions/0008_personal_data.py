"""Files: what the personal-data scan found (counts by kind) and whether the file awaits review.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add files.personal_data and files.review."""
    with op.batch_alter_table("files") as table:
        table.add_column(sa.Column("personal_data", sa.Text, nullable=False, server_default=""))
        table.add_column(sa.Column("review", sa.String(20), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("files") as table:
        table.drop_column("review")
        table.drop_column("personal_data")
