"""The records index: one row per searchable record (a file, or a unit of description) with its facets
(collection, years, format, access) and its words, searched with each database's own engine
(FTS5 on SQLite, a generated tsvector with a GIN index on PostgreSQL).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create records and its full-text index."""
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("aip_id", sa.String(36), sa.ForeignKey("aips.id", ondelete="CASCADE"), nullable=False),
        sa.Column("file_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("collection", sa.String(255), nullable=False),
        sa.Column("year_start", sa.Integer, nullable=True),
        sa.Column("year_end", sa.Integer, nullable=True),
        sa.Column("puid", sa.String(40), nullable=False),
        sa.Column("format_name", sa.Text, nullable=False),
        sa.Column("access", sa.String(20), nullable=False),
        sa.Column("closed_until", sa.String(10), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    for column in ("aip_id", "collection", "puid", "access", "year_start"):
        op.create_index(f"ix_records_{column}", "records", [column])
    if postgres:
        # words split at anything not a letter or digit, as FTS5's unicode61 does ('x-fmt/111': x, fmt, 111)
        op.execute(
            "ALTER TABLE records ADD COLUMN document tsvector GENERATED ALWAYS AS (to_tsvector('simple', "
            "regexp_replace(title || ' ' || body, '[^[:alnum:]]+', ' ', 'g'))) STORED"
        )
        op.execute("CREATE INDEX records_document ON records USING gin (document)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE records_fts USING fts5(title, body, content='records', content_rowid='id',"
            " tokenize='unicode61 remove_diacritics 2')"
        )
    op.execute("DROP TABLE search_index")  # the AIP-level index of 0001/0010: the records index replaces it


def downgrade() -> None:
    """Drop them; the old AIP-level index comes back, empty (a catalogue rebuild by the older version fills it)."""
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE records_fts")
        op.execute(
            "CREATE VIRTUAL TABLE search_index USING fts5(aip_id UNINDEXED, file_id UNINDEXED, title, path,"
            " format, tokenize='unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE TABLE search_index (aip_id varchar(36) NOT NULL, file_id varchar(36) NOT NULL DEFAULT '',"
            " title text NOT NULL DEFAULT '', path text NOT NULL DEFAULT '', format text NOT NULL DEFAULT '')"
        )
    op.drop_table("records")
