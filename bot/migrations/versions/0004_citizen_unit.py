"""A citizen's unit (commune or ward) is kept in one place: users.unit_code.

Before, a QR deep link wrote users.unit_code and quiz registration wrote quiz_participants.unit_code, so Help,
the staff statistics and the guides' funnel never saw a commune chosen during registration. The registration's
choice is the later, deliberate one: it wins where both are set. Downgrading copies the citizen's unit back to
their participant row.

Revision ID: 0004_citizen_unit
Revises: 0003_quiz
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_citizen_unit"
down_revision = "0003_quiz"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE users SET unit_code = ("
            " SELECT p.unit_code FROM quiz_participants p WHERE p.user_id = users.id"
            ") WHERE EXISTS ("
            " SELECT 1 FROM quiz_participants p WHERE p.user_id = users.id AND p.unit_code IS NOT NULL"
            ")"
        )
    )
    with op.batch_alter_table("quiz_participants") as batch:
        batch.drop_constraint("fk_quiz_participants_unit", type_="foreignkey")
        batch.drop_column("unit_code")


def downgrade() -> None:
    with op.batch_alter_table("quiz_participants") as batch:
        batch.add_column(sa.Column("unit_code", sa.String(32), nullable=True))
        batch.create_foreign_key("fk_quiz_participants_unit", "units", ["unit_code"], ["code"], ondelete="SET NULL")
    op.execute(
        sa.text(
            "UPDATE quiz_participants SET unit_code = ("
            " SELECT u.unit_code FROM users u WHERE u.id = quiz_participants.user_id"
            ")"
        )
    )
