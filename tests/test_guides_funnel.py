"""Funnel events for a scripted set of citizens, the abandoned sweep, and `guides stats`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta

from bot.config import ROOT
from bot.domain.clock import utcnow
from bot.domain.guides import service
from bot.domain.guides.catalogue import load_catalogue
from bot.domain.guides.service import Move
from bot.domain.guides.stats import guide_funnels
from bot.features import stores

CATALOGUE = load_catalogue(ROOT / "procedures")[0]
GUIDE = CATALOGUE.guides["vneid-level2-activation"]
OTHER = CATALOGUE.guides["electricity-bill-online"]
STEPS = {guide_id: len(guide.steps) for guide_id, guide in CATALOGUE.guides.items()}


async def _citizen(uow, number: int, language: str = "vi"):
    async with uow:
        user = await uow.users.add("telegram", f"9{number:05d}", f"9{number:05d}", utcnow(), source=None)
        await uow.users.update(user.id, language=language)
        await uow.commit()
    return user


async def _walk(
    uow, user, guide, steps: int, stuck_at: int | None = None, finish: bool = False, helpful: bool | None = None
) -> None:
    await service.open_guide(uow, user, "vi", guide)
    for shown in range(steps):
        assert await service.move(uow, user, "vi", guide, guide.version, shown, Move.next)
        if stuck_at == shown + 1:
            assert await service.move(uow, user, "vi", guide, guide.version, shown + 1, Move.stuck)
    if finish:
        assert await service.move(uow, user, "vi", guide, guide.version, len(guide.steps), Move.done)
    if helpful is not None:
        assert await service.give_feedback(uow, user, "vi", guide, helpful)


async def test_funnel_counts_after_a_scripted_set_of_citizens(uow):
    total = len(GUIDE.steps)
    people = [await _citizen(uow, number) for number in range(6)]
    await _walk(uow, people[0], GUIDE, total, finish=True, helpful=True)
    await _walk(uow, people[1], GUIDE, total, finish=True, helpful=False)
    await _walk(uow, people[2], GUIDE, 3, stuck_at=3)
    await _walk(uow, people[3], GUIDE, 3, stuck_at=3)
    await _walk(uow, people[4], GUIDE, 1)
    await service.open_guide(uow, people[5], "vi", GUIDE)
    await service.open_guide(uow, people[5], "vi", GUIDE)  # opening twice is one citizen
    await _walk(uow, people[5], OTHER, 2)

    # Later, everyone who has not finished has left.
    later = utcnow() + timedelta(hours=2)
    assert await service.mark_abandoned(uow, timedelta(hours=1), now=later) == 5  # 4 citizens, one in two guides
    assert await service.mark_abandoned(uow, timedelta(hours=1), now=later) == 0  # idempotent

    funnels = {funnel.guide_id: funnel for funnel in await guide_funnels(uow, STEPS, timedelta(hours=1))}
    funnel = funnels[GUIDE.id]
    assert funnel.opened == 6
    assert [funnel.reached.get(step, 0) for step in range(1, total + 1)] == [5, 4, 4] + [2] * (total - 3)
    assert funnel.stuck == {3: 2}
    assert (funnel.done, funnel.helpful, funnel.not_helpful) == (2, 1, 1)
    assert funnel.abandoned == {3: 2, 1: 1, 0: 1}
    assert (funnels[OTHER.id].opened, funnels[OTHER.id].reached) == (1, {1: 1, 2: 1})
    assert funnels[OTHER.id].abandoned == {2: 1}
    assert funnels["permanent-residence"].opened == 0  # every guide is listed, used or not


async def test_abandoned_sweep_skips_recent_and_finished_walks(uow):
    fresh, finished = await _citizen(uow, 1), await _citizen(uow, 2)
    await _walk(uow, fresh, GUIDE, 2)
    await _walk(uow, finished, GUIDE, len(GUIDE.steps), finish=True)
    assert await service.mark_abandoned(uow, timedelta(minutes=60)) == 0
    assert await service.mark_abandoned(uow, timedelta(minutes=60), now=utcnow() + timedelta(minutes=61)) == 1


async def test_concurrent_sweeps_record_each_abandoned_walk_once(settings):
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.uow import UnitOfWork

    engine = create_engine(settings.database_url)
    factory = create_session_factory(engine)
    setup = UnitOfWork(factory, stores())
    for number in range(5):
        await _walk(setup, await _citizen(setup, number), GUIDE, 1)
    await setup.close()
    later = utcnow() + timedelta(hours=2)
    sweepers = [UnitOfWork(factory, stores()) for _ in range(3)]
    counts = await asyncio.gather(*(service.mark_abandoned(uow, timedelta(hours=1), now=later) for uow in sweepers))
    for uow in sweepers:
        await uow.close()
    check = UnitOfWork(factory, stores())
    funnels = {funnel.guide_id: funnel for funnel in await guide_funnels(check, STEPS, timedelta(hours=1))}
    await check.close()
    await engine.dispose()
    assert sum(counts) == 5
    assert funnels[GUIDE.id].abandoned == {1: 5}


async def test_events_carry_unit_and_language(uow):
    from sqlalchemy import select

    from bot.db.guides import GuideEventRow

    user = await _citizen(uow, 7, language="th")
    await service.open_guide(uow, user, "th", GUIDE)
    async with uow:
        rows = (await uow.session.execute(select(GuideEventRow.kind, GuideEventRow.language))).all()
    assert [tuple(row) for row in rows] == [("opened", "th")]


def test_guides_stats_command_prints_the_funnel(settings):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BOT_TOKEN": ""}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "guides", "stats"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert GUIDE.id in result.stdout
    assert "đã mở 0 · hoàn thành 0 · 👍 0 · 👎 0" in result.stdout  # in DEFAULT_LOCALE
    assert f"bước {len(GUIDE.steps)}: đến" in result.stdout


async def test_the_abandoned_sweep_runs_while_the_bot_runs_and_stops_with_it(sandbox):
    dispatcher = sandbox.app.dispatcher
    citizen = sandbox.citizen()
    await citizen.start()  # polling has started, so the startup hooks have run
    task = dispatcher.workflow_data["guides_sweeper"]
    assert not task.done()
    await sandbox.stop_bot()
    assert task.done() and "guides_sweeper" not in dispatcher.workflow_data
