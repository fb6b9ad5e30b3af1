"""The first catalogue schema: AIPs, files, events, agents, storage locations, replicas, search.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = sa.String(36)
TIME = sa.String(40)


def upgrade() -> None:
    """Create the tables (and, on SQLite, the FTS5 search index)."""
    op.create_table(
        "storage_locations",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("backend", sa.String(20), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "agents",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("version", sa.String(100), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "aips",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("transfer_id", UUID, nullable=False, unique=True),
        sa.Column("ocfl_id", sa.String(100), nullable=False),
        sa.Column("head_version", sa.String(20), nullable=False),
        sa.Column("file_count", sa.BigInteger, nullable=False),
        sa.Column("total_bytes", sa.BigInteger, nullable=False),
        sa.Column("mets_path", sa.Text, nullable=False),
        sa.Column("mets_sha512", sa.String(128), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "files",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("aip_id", UUID, sa.ForeignKey("aips.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("original_name", sa.Text, nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sha512", sa.String(128), nullable=False),
        sa.Column("puid", sa.String(40), nullable=False, server_default="", index=True),
        sa.Column("format_name", sa.Text, nullable=False, server_default=""),
        sa.Column("format_version", sa.String(100), nullable=False, server_default=""),
        sa.Column("mime_type", sa.String(255), nullable=False, server_default=""),
        sa.Column("id_basis", sa.String(20), nullable=False, server_default=""),
        sa.Column("id_warning", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "events",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("aip_id", UUID, sa.ForeignKey("aips.id", ondelete="CASCADE"), nullable=False),
        sa.Column("file_id", UUID, nullable=False, server_default=""),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("datetime", TIME, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("outcome_detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_events_aip_file", "events", ["aip_id", "file_id"])
    op.create_table(
        "event_agents",
        sa.Column("event_id", UUID, sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("agent_id", UUID, sa.ForeignKey("agents.id"), primary_key=True),
        sa.Column("role", sa.String(50), nullable=False, server_default="executing program"),
    )
    op.create_table(
        "replicas",
        sa.Column("aip_id", UUID, sa.ForeignKey("aips.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("location", sa.String(100), sa.ForeignKey("storage_locations.name"), primary_key=True),
        sa.Column("version", sa.String(20), nullable=False),
        sa.Column("object_root", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stored_at", TIME, nullable=False),
        sa.Column("verified_at", TIME, nullable=False, server_default=""),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_index USING fts5("
            "aip_id UNINDEXED, file_id UNINDEXED, title, path, format, tokenize='unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    """Drop everything."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_index")
    for table in ("replicas", "event_agents", "events", "files", "aips", "agents", "storage_locations"):
        op.drop_table(table)
