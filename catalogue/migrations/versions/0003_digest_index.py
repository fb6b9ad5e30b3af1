"""An index on files.sha256, so ingest can tell which files the archive already holds.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index files by SHA-256."""
    op.create_index("ix_files_sha256", "files", ["sha256"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_files_sha256", "files")
