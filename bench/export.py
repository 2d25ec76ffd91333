"""`python -m bench.export [--entrants 1000000]`: the contest export against a plain xlsxwriter floor.

Generates entrants with one finished attempt each in a fresh SQLite database, then, each in a child process
of its own (peak RSS is the child's own, from wait4): `python -m bot export results` to XLSX and to CSV, and
the floor, a bare xlsxwriter constant_memory loop writing rows of the same shape from memory. Prints one
JSON line: seconds, rows/s and peak RSS of each, and the ratio of the XLSX export to the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entrants", type=int, default=1_000_000)
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
    result = {
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
        "goals": {"ratio_to_floor": 1.5, "peak_rss_mb": 300},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
