"""Events found by AIP and type: `aip show` counts an AIP's events by type and outcome, and the legal hold looks
up its policy-assignment events, without reading every event of a 100,000-file AIP.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the index (aip_id, type, outcome) on events."""
    op.create_index("ix_events_aip_type", "events", ["aip_id", "type", "outcome"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_events_aip_type", table_name="events")
