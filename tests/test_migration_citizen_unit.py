"""Migration 0004: the citizen's unit moves to one place (users.unit_code), with the data, and back."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db.migrate import downgrade, upgrade

NOW = "2026-01-02 03:04:05"


async def _run(url: str, statements: list[str]) -> list[list[tuple]]:
    engine = create_async_engine(url)
    results = []
    async with engine.begin() as connection:
        for statement in statements:
            result = await connection.execute(text(statement))
            results.append(list(result.all()) if result.returns_rows else [])
    await engine.dispose()
    return results


async def _columns(url: str, table: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: {c["name"] for c in inspect(sync).get_columns(table)})
    await engine.dispose()
    return names


def test_units_chosen_in_registration_move_to_the_citizen_and_back(database_url: str):
    downgrade(database_url, "0003_quiz")
    users = [
        # id, unit from a QR code (users.unit_code), unit chosen in registration (participant)
        (1, None, "b"),  # registration only: moves to the citizen
        (2, "a", "c"),  # both: the registration's, the later and deliberate choice, wins
        (3, "a", None),  # QR code only: stays
        (4, None, None),
    ]
    statements = [f"INSERT INTO units (code, name, kind) VALUES ('{code}', '{code}', 'commune')" for code in "abc"]
    for user_id, qr_unit, registered in users:
        unit = f"'{qr_unit}'" if qr_unit else "NULL"
        statements.append(
            "INSERT INTO users (id, platform, platform_user_id, chat_id, unit_code, status, first_seen, last_seen) "
            f"VALUES ({user_id}, 'telegram', '{user_id}', '{user_id}', {unit}, 'active', '{NOW}', '{NOW}')"
        )
        chosen = f"'{registered}'" if registered else "NULL"
        statements.append(
            f"INSERT INTO quiz_participants (user_id, unit_code, updated_at) VALUES ({user_id}, {chosen}, '{NOW}')"
        )
    asyncio.run(_run(database_url, statements))

    upgrade(database_url, "0004_citizen_unit")
    (rows,) = asyncio.run(_run(database_url, ["SELECT id, unit_code FROM users ORDER BY id"]))
    assert rows == [(1, "b"), (2, "c"), (3, "a"), (4, None)]
    assert "unit_code" not in asyncio.run(_columns(database_url, "quiz_participants"))

    downgrade(database_url, "0003_quiz")
    (rows,) = asyncio.run(_run(database_url, ["SELECT user_id, unit_code FROM quiz_participants ORDER BY user_id"]))
    assert rows == [(1, "b"), (2, "c"), (3, "a"), (4, None)]
    upgrade(database_url)
