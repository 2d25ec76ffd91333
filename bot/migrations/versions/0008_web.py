"""The web chat channel: its log of messages and its files.

Revision ID: 0008_web
Revises: 0007_channels
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_web"
down_revision = "0007_channels"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "web_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id", BigId, sa.ForeignKey("users.id", name="fk_web_events_user", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sender", sa.String(8), nullable=False),
        sa.Column("message_id", sa.BigInteger, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        # Pages read "rows after id N": SQLite must never hand out an id again once its rows are deleted.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_web_events_user_id", "web_events", ["user_id", "id"])
    op.create_index("ix_web_events_at", "web_events", ["at"])
    op.create_table(
        "web_files",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id", BigId, sa.ForeignKey("users.id", name="fk_web_files_user", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_files_at", "web_files", ["at"])


def downgrade() -> None:
    op.drop_index("ix_web_files_at", table_name="web_files")
    op.drop_table("web_files")
    op.drop_index("ix_web_events_at", table_name="web_events")
    op.drop_index("ix_web_events_user_id", table_name="web_events")
    op.drop_table("web_events")
