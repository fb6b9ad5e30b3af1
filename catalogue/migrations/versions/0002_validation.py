"""Each file's validation outcome and characteristics.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add files.validation (JSON: status, tool, messages, characteristics)."""
    with op.batch_alter_table("files") as batch:
        batch.add_column(sa.Column("validation", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    """Drop files.validation."""
    with op.batch_alter_table("files") as batch:
        batch.drop_column("validation")
