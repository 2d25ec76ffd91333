"""Channels other than Telegram: the inbox of received events, screens with their buttons, tokens.

Revision ID: 0007_channels
Revises: 0005_broadcasts
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_channels"
down_revision = "0005_broadcasts"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "channel_inbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.UniqueConstraint("channel", "event_key", name="uq_channel_inbox_key"),
    )
    op.create_index("ix_channel_inbox_pending", "channel_inbox", ["channel", "handled_at", "id"])
    op.create_table(
        "channel_screens",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("payloads", sa.Text, nullable=False),
        sa.Column("replaced", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("external_id", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_channel_screens_created", "channel_screens", ["created_at"])
    op.create_table(
        "channel_tokens",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text, nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refreshing_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("channel_tokens")
    op.drop_index("ix_channel_screens_created", table_name="channel_screens")
    op.drop_table("channel_screens")
    op.drop_index("ix_channel_inbox_pending", table_name="channel_inbox")
    op.drop_table("channel_inbox")
