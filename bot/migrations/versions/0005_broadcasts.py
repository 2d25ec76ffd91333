"""Broadcasts and the delivery room: the outbox, holds of paused broadcasts, muted citizens.

Revision ID: 0005_broadcasts
Revises: 0003_quiz
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_broadcasts"
down_revision = "0004_citizen_unit"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PENDING = sa.text("state = 'pending'")
SENDING = sa.text("state = 'sending'")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column(
            "creator_user_id",
            BigId,
            sa.ForeignKey("users.id", name="fk_broadcasts_creator", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total", sa.Integer, nullable=True),
        sa.Column("cursor", sa.BigInteger, nullable=False),
        sa.Column("last_user_id", sa.BigInteger, nullable=True),
        sa.Column("progress_message_id", sa.String(64), nullable=True),
        sa.Column("progress_note", sa.Text, nullable=True),
    )
    op.create_index("ix_broadcasts_state_scheduled", "broadcasts", ["state", "scheduled_at"])
    op.create_table(
        "broadcast_versions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "broadcast_id",
            BigId,
            sa.ForeignKey("broadcasts.id", name="fk_broadcast_versions_broadcast", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("file_name", sa.String(200), nullable=True),
        sa.Column("file_data", sa.LargeBinary, nullable=True),
        sa.Column("mime_type", sa.String(100), nullable=True),
        sa.UniqueConstraint("broadcast_id", "language", name="uq_broadcast_versions_language"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("ref_id", sa.BigInteger, nullable=False),
        sa.Column(
            "user_id",
            BigId,
            sa.ForeignKey("users.id", name="fk_deliveries_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("unit_code", sa.String(32), nullable=True),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("parts_sent", sa.Integer, nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(40), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("target_message_id", sa.String(64), nullable=True),
        sa.Column("message_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("topic", "ref_id", "user_id", name="uq_deliveries_topic_ref_user"),
    )
    op.create_index(
        "ix_deliveries_due", "deliveries", ["priority", "id"], sqlite_where=PENDING, postgresql_where=PENDING
    )
    op.create_index(
        "ix_deliveries_claimed", "deliveries", ["claimed_at"], sqlite_where=SENDING, postgresql_where=SENDING
    )
    op.create_index("ix_deliveries_topic_ref_state", "deliveries", ["topic", "ref_id", "state"])
    op.create_index("ix_deliveries_user_done", "deliveries", ["user_id", "done_at"])
    op.create_table(
        "delivery_holds",
        sa.Column("topic", sa.String(32), primary_key=True),
        sa.Column("ref_id", sa.BigInteger, primary_key=True),
        sa.Column("final", sa.Boolean, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "announcement_mutes",
        sa.Column(
            "user_id",
            BigId,
            sa.ForeignKey("users.id", name="fk_announcement_mutes_user", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("muted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("announcement_mutes")
    op.drop_table("delivery_holds")
    op.drop_index("ix_deliveries_user_done", table_name="deliveries")
    op.drop_index("ix_deliveries_topic_ref_state", table_name="deliveries")
    op.drop_index("ix_deliveries_claimed", table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("broadcast_versions")
    op.drop_index("ix_broadcasts_state_scheduled", table_name="broadcasts")
    op.drop_table("broadcasts")
