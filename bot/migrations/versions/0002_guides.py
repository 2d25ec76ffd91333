"""Guides: per-citizen progress through a procedure guide, and funnel events.

Revision ID: 0002_guides
Revises: 0001_foundation
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_guides"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "guide_progress",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            BigId,
            sa.ForeignKey("users.id", name="fk_guide_progress_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("guide_id", sa.String(64), nullable=False),
        sa.Column("step", sa.Integer, nullable=False, server_default="0"),
        sa.Column("ticked", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "guide_id", name="uq_guide_progress_user_guide"),
    )
    op.create_index("ix_guide_progress_status_updated", "guide_progress", ["status", "updated_at"])
    op.create_table(
        "guide_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "user_id", BigId, sa.ForeignKey("users.id", name="fk_guide_events_user", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("unit_code", sa.String(32), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("guide_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("step", sa.Integer, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_guide_events_guide_kind", "guide_events", ["guide_id", "kind"])
    op.create_index("ix_guide_events_at", "guide_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_guide_events_at", "guide_events")
    op.drop_index("ix_guide_events_guide_kind", "guide_events")
    op.drop_table("guide_events")
    op.drop_index("ix_guide_progress_status_updated", "guide_progress")
    op.drop_table("guide_progress")
