"""What the OAI-PMH provider has exposed, and when each record last changed or was withdrawn (oai_items).
`preserve upgrade` works access out again after migrating, which fills it in.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "oai_items",
        sa.Column("reference", sa.String(255), primary_key=True),
        sa.Column("aip_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("collection", sa.String(255), nullable=False, server_default=""),
        sa.Column("datestamp", sa.String(20), nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("digest", sa.String(64), nullable=False, server_default=""),
        sa.Column("fields", sa.Text, nullable=False, server_default="{}"),
    )
    for column in ("aip_id", "datestamp"):
        op.create_index(f"ix_oai_items_{column}", "oai_items", [column])
    op.create_index("ix_oai_items_collection_reference", "oai_items", ["collection", "reference"])


def downgrade() -> None:
    """Drop it."""
    op.drop_table("oai_items")
