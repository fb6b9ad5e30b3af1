"""Files: a derivative's source (normalisation at ingest).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add files.derived_from (the source file's id; '' for originals)."""
    with op.batch_alter_table("files") as table:
        table.add_column(sa.Column("derived_from", sa.String(36), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("files") as table:
        table.drop_column("derived_from")
