"""An index on files.derived_from: a record's copies (access copies for IIIF and previews) found without reading
every file of its AIP.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05
"""

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the index."""
    op.create_index("ix_files_derived_from", "files", ["derived_from"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_files_derived_from", "files")
