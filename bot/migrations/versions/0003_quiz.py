"""Quiz: participants, attempts, answers.

Revision ID: 0003_quiz
Revises: 0002_guides
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_quiz"
down_revision = "0002_guides"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ONLY_OPEN = sa.text("status = 'in_progress'")


def upgrade() -> None:
    op.create_table(
        "quiz_participants",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            BigId,
            sa.ForeignKey("users.id", name="fk_quiz_participants_user", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("full_name", sa.String(120), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("birth_year", sa.Integer, nullable=True),
        sa.Column("group_id", sa.String(48), nullable=True),
        sa.Column(
            "unit_code",
            sa.String(32),
            sa.ForeignKey("units.code", name="fk_quiz_participants_unit", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_version", sa.String(16), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "quiz_attempts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("contest_id", sa.String(48), nullable=False),
        sa.Column(
            "user_id",
            BigId,
            sa.ForeignKey("users.id", name="fk_quiz_attempts_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("correct", sa.Integer, nullable=False),
        sa.Column("answered", sa.Integer, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=True),
        sa.Column("prediction", sa.Integer, nullable=True),
        sa.UniqueConstraint("user_id", "contest_id", "number", name="uq_quiz_attempts_number"),
    )
    op.create_index(
        "uq_quiz_attempts_one_open",
        "quiz_attempts",
        ["user_id", "contest_id"],
        unique=True,
        sqlite_where=ONLY_OPEN,
        postgresql_where=ONLY_OPEN,
    )
    op.create_index("ix_quiz_attempts_contest_status", "quiz_attempts", ["contest_id", "status"])
    op.create_index("ix_quiz_attempts_open_deadline", "quiz_attempts", ["status", "deadline_at"])
    op.create_table(
        "quiz_answers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "attempt_id",
            BigId,
            sa.ForeignKey("quiz_attempts.id", name="fk_quiz_answers_attempt", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("question_id", sa.String(48), nullable=False),
        sa.Column("chosen", sa.Integer, nullable=False),
        sa.Column("is_correct", sa.Boolean, nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("attempt_id", "position", name="uq_quiz_answers_attempt_position"),
    )


def downgrade() -> None:
    op.drop_table("quiz_answers")
    op.drop_index("ix_quiz_attempts_open_deadline", "quiz_attempts")
    op.drop_index("ix_quiz_attempts_contest_status", "quiz_attempts")
    op.drop_index("uq_quiz_attempts_one_open", "quiz_attempts")
    op.drop_table("quiz_attempts")
    op.drop_table("quiz_participants")
