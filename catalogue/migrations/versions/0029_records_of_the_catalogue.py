"""The records index holds the units of the archive's own catalogue (imported finding aids) too: records.aip_id
may be NULL for a record no AIP holds. `preserve upgrade` works access out again after migrating, which writes
them.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Let aip_id be NULL (SQLite copies the table: its full-text index follows the rows' ids)."""
    with op.batch_alter_table("records") as batch:
        batch.alter_column("aip_id", nullable=True)


def downgrade() -> None:
    """The catalogue's own records go, and aip_id is required again."""
    if op.get_bind().dialect.name != "postgresql":
        op.execute(
            "INSERT INTO records_fts(records_fts, rowid, title, body) SELECT 'delete', id, title, body FROM records "
            "WHERE aip_id IS NULL"
        )
    op.execute("DELETE FROM records WHERE aip_id IS NULL")
    with op.batch_alter_table("records") as batch:
        batch.alter_column("aip_id", nullable=False)
