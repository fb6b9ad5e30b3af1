"""An AIP's files and bytes by role (aips.counts: {role: {files, bytes}} as JSON) and as stored
(aips.stored_files, aips.stored_bytes), so `aip list`, `storage list` and the reports say what they count
without summing every file of the archive.

The roles are filled in from the files already catalogued; what each AIP stores is measured by its next audit
(or a catalogue rebuild): until then it is null and shown as not yet measured.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns and fill in each AIP's files by role."""
    op.add_column("aips", sa.Column("counts", sa.Text, nullable=False, server_default=""))
    op.add_column("aips", sa.Column("stored_files", sa.BigInteger, nullable=True))
    op.add_column("aips", sa.Column("stored_bytes", sa.BigInteger, nullable=True))
    connection = op.get_bind()
    by_aip: dict[str, dict] = {}
    grouped = sa.text("SELECT aip_id, role, count(*), coalesce(sum(size), 0) FROM files GROUP BY aip_id, role")
    for aip_id, role, files, size in connection.execute(grouped):
        by_aip.setdefault(aip_id, {})[role] = {"files": int(files), "bytes": int(size)}
    update = sa.text("UPDATE aips SET counts = :counts WHERE id = :id")
    for aip_id, roles in by_aip.items():
        connection.execute(update, {"counts": json.dumps(roles), "id": aip_id})


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("aips") as batch:
        for column in ("counts", "stored_files", "stored_bytes"):
            batch.drop_column(column)
