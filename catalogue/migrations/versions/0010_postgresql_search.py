"""Full-text search on PostgreSQL: the same search_index table, searched with PostgreSQL's own engine.

On SQLite the index is FTS5 (revision 0001); on PostgreSQL it is a table with a generated tsvector
(the 'simple' configuration: archival names and identifiers are not stemmed) and a GIN index.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the PostgreSQL search index (nothing to do on SQLite)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE search_index ("
        " aip_id varchar(36) NOT NULL, file_id varchar(36) NOT NULL DEFAULT '',"
        " title text NOT NULL DEFAULT '', path text NOT NULL DEFAULT '', format text NOT NULL DEFAULT '',"
        " document tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' '"
        " || regexp_replace(path, '[^[:alnum:]]+', ' ', 'g') || ' ' || regexp_replace(format, '[^[:alnum:]]+', ' ',"
        " 'g'))) STORED)"
    )
    op.execute("CREATE INDEX search_index_document ON search_index USING gin (document)")
    op.execute("CREATE INDEX search_index_aip ON search_index (aip_id)")


def downgrade() -> None:
    """Drop it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE search_index")
