"""`python -m bench.export [--entrants 1000000]`: the contest export against a plain xlsxwriter floor.

Generates entrants with one finished attempt each in a fresh SQLite database, then, each in a child process
of its own (peak RSS is the child's own, from wait4): `python -m bot export results` to XLSX and to CSV, and
the floor, a bare xlsxwriter constant_memory loop writing rows of the same shape from memory. Prints one
JSON line: seconds, rows/s and peak RSS of each, and the ratio of the XLSX export to the floor.

Then (`citizens`, skipped with `--citizens-entrants 0`) the citizens' side: the bot in a process of its own
on a database of `--citizens-entrants` entrants (100,000 by default), polling the Bot API emulator, while
citizens walk guides at `--rate` updates a second (open loop, as bench.updates): reply latency p50/p99 for
`--seconds` before an export, during an export started the way the chat starts one (bot.reports.job: a
child process on a read-only connection), and for `--seconds` after it. The ratio is the p99 during the
export to the smaller of the two p99s around it, so that a drift of the machine never flatters the export.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FLOOR = r"""
import sys, xlsxwriter
from datetime import datetime, timedelta
rows = int(sys.argv[2])
book = xlsxwriter.Workbook(sys.argv[1], {"constant_memory": True})
sheet = book.add_worksheet("floor")
t0 = datetime(2026, 9, 5, 9)
data = [(n + 1, "", f"Người dự thi {n}", "09xx…123", 1990, "Người dân", "Đức Xuân", "Thái Nguyên › Đức Xuân",
         n % 21, 20, 30.0 + n % 500, t0 + timedelta(seconds=n % 500), (n * 31) % 2000, n % 1000, 1, n)
        for n in range(rows)]
for index, row in enumerate(data, start=1):
    sheet.write_row(index, 0, row)
book.close()
"""


def _child(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{command[:4]} failed: {process.stderr.read().decode() if process.stderr else ''}")
    return seconds, usage.ru_maxrss * 1024


def _generate(database: Path, entrants: int) -> None:
    from bot.db.migrate import upgrade

    upgrade(f"sqlite+aiosqlite:///{database}")
    connection = sqlite3.connect(database)
    t0 = datetime(2026, 9, 5, 2, tzinfo=UTC)

    def stamp(moment: datetime) -> str:  # SQLAlchemy's format for SQLite
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    items = json.dumps([[f"bk-{n:02d}", [0, 1, 2, 3]] for n in range(1, 21)])
    connection.execute(
        "INSERT INTO units (code, name, kind, headcount) VALUES ('p', 'Thái Nguyên', 'province', NULL),"
        " ('p-a', 'Đức Xuân', 'ward', 50000)"
    )
    batch = 50_000
    for start in range(0, entrants, batch):
        numbers = range(start, min(entrants, start + batch))
        connection.executemany(
            "INSERT INTO users (id, platform, platform_user_id, chat_id, unit_code, status, first_seen, last_seen)"
            " VALUES (?, 'telegram', ?, ?, 'p-a', 'active', ?, ?)",
            [(n + 1, str(n), str(n), stamp(t0), stamp(t0)) for n in numbers],
        )
        connection.executemany(
            "INSERT INTO quiz_participants (user_id, full_name, phone, birth_year, group_id, updated_at)"
            " VALUES (?, ?, ?, 1990, 'citizens', ?)",
            [(n + 1, f"Người dự thi {n}", f"09{n:08d}", stamp(t0)) for n in numbers],
        )
        connection.executemany(
            "INSERT INTO quiz_attempts (contest_id, user_id, number, mode, items, started_at, deadline_at,"
            " finished_at, status, correct, answered, duration_ms, prediction)"
            " VALUES ('bench', ?, 1, 'contest', ?, ?, ?, ?, 'finished', ?, 20, ?, ?)",
            [
                (
                    n + 1,
                    items,
                    stamp(t0),
                    stamp(t0 + timedelta(minutes=20)),
                    stamp(t0 + timedelta(seconds=30 + n % 86_400, microseconds=n % 997)),
                    n % 21,
                    30_000 + (n * 7919) % 500_000,
                    (n * 31) % (2 * entrants),
                )
                for n in numbers
            ],
        )
        connection.commit()
    connection.close()


def _bank(folder: Path) -> Path:
    import shutil

    import yaml

    from bot.config import ROOT

    shutil.copytree(ROOT / "quiz_bank" / "questions", folder / "questions")
    (folder / "contests").mkdir()
    contest = yaml.safe_load((ROOT / "quiz_bank" / "contests" / "demo.yaml").read_text(encoding="utf-8"))
    contest.update(id="bench", demo=False, rolling_window=None)
    contest["title"] = {"vi": "Cuộc thi đo", "en": "Benchmark contest"}
    contest["window"] = {"start": "2026-09-01T00:00:00+07:00", "end": "2026-09-30T00:00:00+07:00"}
    (folder / "contests" / "bench.yaml").write_text(yaml.safe_dump(contest, allow_unicode=True), encoding="utf-8")
    return folder


CITIZENS_TOKEN = "7000000005:BENCH-EXPORT"
EXPORT_TIMEOUT = 30 * 60.0  # the chat's own bound (bot.reports.job)


async def _citizens(args: argparse.Namespace, folder: Path, bank: Path) -> dict[str, Any]:
    """Citizens' reply latency before, during and after an export of `citizens_entrants` entrants."""
    from bench.harness import Users, collector_paused, open_loop, quiet_logs, running_bot, warm_up
    from bench.updates import guide_script
    from bot.config import Settings
    from bot.domain.guides.catalogue import load_catalogue
    from bot.reports import job

    quiet_logs()
    database = folder / "citizens.db"  # generated by the caller, outside the event loop (Alembic runs its own)
    database_url = f"sqlite+aiosqlite:///{database}"
    settings = Settings(_env_file=None, database_url=database_url, quiz_bank_dir=bank, bot_token="")
    catalogue = load_catalogue(settings.procedures_dir)[0]
    out = folder / "during.xlsx"
    arguments = ["export", "results", "--contest", "bench", "--no-stats", "--format", "xlsx", "--out", str(out)]
    async with running_bot("bot", CITIZENS_TOKEN, database_url) as running:
        users = Users(running, lambda user_id: guide_script(catalogue, user_id), args.users)
        with collector_paused():
            await warm_up(users)
            before = await open_loop(users, args.rate, args.seconds)
            started = time.perf_counter()
            export = asyncio.create_task(job.run(settings, arguments, EXPORT_TIMEOUT))
            during = await open_loop(users, args.rate, EXPORT_TIMEOUT, until=export.done)
            status, last = await export
            export_s = time.perf_counter() - started
            after = await open_loop(users, args.rate, args.seconds)
    if status != 0 or last.get("rows") != args.citizens_entrants:
        raise SystemExit(f"the export during the citizens' run failed: status {status}, {last}")
    around = min(before["p99_ms"], after["p99_ms"])
    return {
        "entrants": args.citizens_entrants,
        "offered_per_s": args.rate,
        "export_s": round(export_s, 1),
        "before": before,
        "during": during,
        "after": after,
        "p99_ratio": round(during["p99_ms"] / max(around, 1e-9), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entrants", type=int, default=1_000_000)
    parser.add_argument("--citizens-entrants", type=int, default=100_000, help="0 skips the citizens' part")
    parser.add_argument("--users", type=int, default=300, help="simulated citizens in the citizens' part")
    parser.add_argument("--rate", type=float, default=100.0, help="their updates a second (open loop)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the runs before and after")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        database = folder / "bench.db"
        started = time.perf_counter()
        _generate(database, args.entrants)
        generated = time.perf_counter() - started
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "QUIZ_BANK_DIR": str(_bank(folder / "bank")),
            "BOT_TOKEN": "",
        }
        base = [sys.executable, "-m", "bot", "export", "results", "--contest", "bench", "--no-stats"]
        xlsx = _child([*base, "--format", "xlsx", "--out", str(folder / "r.xlsx")], env)
        csv = _child([*base, "--format", "csv", "--out", str(folder / "r.csv")], env)
        floor = _child([sys.executable, "-c", FLOOR, str(folder / "floor.xlsx"), str(args.entrants)], env)
        size = (folder / "r.xlsx").stat().st_size
        citizens = None
        if args.citizens_entrants > 0:
            _generate(folder / "citizens.db", args.citizens_entrants)
            citizens = asyncio.run(_citizens(args, folder, folder / "bank"))
    result: dict[str, Any] = {
        "bench": "export",
        "entrants": args.entrants,
        "generate_s": round(generated, 1),
        "xlsx": {"s": round(xlsx[0], 1), "rows_per_s": round(args.entrants / xlsx[0]), "peak_rss_mb": xlsx[1] >> 20},
        "csv": {"s": round(csv[0], 1), "rows_per_s": round(args.entrants / csv[0]), "peak_rss_mb": csv[1] >> 20},
        "floor": {
            "s": round(floor[0], 1),
            "rows_per_s": round(args.entrants / floor[0]),
            "peak_rss_mb": floor[1] >> 20,
        },
        "xlsx_bytes_per_row": round(size / args.entrants, 1),
        "ratio_to_floor": round(xlsx[0] / floor[0], 2),
        "goals": {"ratio_to_floor": 1.5, "peak_rss_mb": 300, "citizens_p99_ratio": 2.0},
    }
    if citizens is not None:
        result["citizens"] = citizens
    result["goals_met"] = {
        "ratio_to_floor": result["ratio_to_floor"] <= 1.5,
        "peak_rss_mb": max(xlsx[1], csv[1]) >> 20 <= 300,
        "citizens_p99_ratio": None if citizens is None else citizens["p99_ratio"] <= 2.0,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
