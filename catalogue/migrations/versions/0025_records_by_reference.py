"""Reference codes searched as codes: records.reference_key (the record's place in the hierarchy, sorting in
hierarchy order, byte order on both databases), indexed. `preserve upgrade` rewrites the records index after
migrating, which fills it in (and the facet words for undated records and records in no collection).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column and its index."""
    key = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
    op.add_column("records", sa.Column("reference_key", key, nullable=False, server_default=""))
    op.create_index("ix_records_reference_key", "records", ["reference_key"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_records_reference_key", table_name="records")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("reference_key")
