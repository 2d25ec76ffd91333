"""The contest workbook as the awards committee opens it: every rank recomputed from the ranking function."""

from __future__ import annotations

import argparse
import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.cli_reports import run_export
from bot.domain.quiz.ranking import rank_individuals
from bot.domain.quiz.schema import load_quiz_bank
from bot.reports.contest import mask_phone
from bot.reports.ports import REPORTS
from tests.quiz_support import contest_yaml, make_bank
from tests.reports_support import ENTRANTS, PEOPLE, seed

ZONE = "Asia/Ho_Chi_Minh"


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    contest = contest_yaml()
    contest["prizes"] = {
        "individual": [
            {"id": "first", "count": 1, "title": {"vi": "Giải Nhất", "en": "First prize"}},
            {"id": "second", "count": 2, "title": {"vi": "Giải Nhì", "en": "Second prize"}},
        ],
        "group": {"count": 1, "criterion": "entrants", "title": {"vi": "Giải tập thể", "en": "Group prize"}},
    }
    return make_bank(tmp_path / "bank", [contest])


@pytest.fixture
async def seeded(settings, uow, bank_dir):
    bank = load_quiz_bank(bank_dir)[0]
    questions = sorted(bank.questions)[:3]
    ids = await seed(uow, "open-now", questions)
    return settings.model_copy(update={"quiz_bank_dir": bank_dir, "timezone": ZONE}), ids, questions


async def _run(settings, out: Path, **options: object) -> int:
    args = argparse.Namespace(
        contest="open-now",
        format=options.get("format", "xlsx"),
        out=out,
        full_phones=options.get("full_phones", False),
        lang=options.get("lang", "vi"),
        no_stats=options.get("no_stats", False),
        json=False,
        actor=options.get("actor", "test:organizer"),
    )
    result = await run_export(settings, args)
    assert result is not None
    return 0


def _sheet_rows(path: Path, index: int) -> list[list[object]]:
    sheet = load_workbook(path).worksheets[index]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


async def test_every_rank_in_the_workbook_is_the_ranking_functions(seeded, uow, tmp_path):
    settings, _ids, _ = seeded
    out = tmp_path / "results.xlsx"
    assert await _run(settings, out) == 0
    async with uow:
        entries = await uow[REPORTS].entries("open-now")
    ranked = rank_individuals(entries, tiers=[("first", 1), ("second", 2)])
    assert len(ranked) == ENTRANTS
    # ties at every level: shared first place, then each link of the chain breaking one
    assert [item.position for item in ranked] == [1, 1, 3, 4, 5, 6, 7, 8, 8, 10]

    book = load_workbook(out)
    assert book.sheetnames[:5] == ["Cá nhân", "Đơn vị", "Giải thưởng", "Câu hỏi", "Quy tắc"]
    sheet = book["Cá nhân"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Hạng", "Giải", "Họ và tên", "Số điện thoại"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:P{ENTRANTS + 1}"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == len(ranked)
    names = {person.name: person for person in PEOPLE}
    zone = ZoneInfo(ZONE)
    for row, item in zip(rows, ranked, strict=True):
        entry = item.entry
        person = names[entry.name] if entry.name else None
        expected_prize = {"first": "Giải Nhất", "second": "Giải Nhì"}.get(item.prize or "")
        assert row[0] == item.position
        assert row[1] == expected_prize
        assert row[2] == (entry.name or "Ẩn danh (đã xoá dữ liệu)")
        assert row[3] == (mask_phone(person.phone) if person else None)
        assert row[8] == entry.score
        assert row[10] == pytest.approx(entry.duration_ms / 1000)
        submitted = entry.submitted_at.astimezone(zone).replace(tzinfo=None)
        assert isinstance(row[11], datetime) and abs((row[11] - submitted).total_seconds()) < 0.001
        assert row[12] == entry.prediction
        assert row[13] == item.prediction_distance
        assert row[15] == entry.attempt_id
    lan = next(row for row in rows if row[2] == "Bùi Thị Lan")
    assert lan[14] == 3 and lan[10] == 15  # three attempts used; the shortest of the best counts
    assert lan[6] is None  # no unit on record
    assert rows[0][7] == "Thái Nguyên › Đức Xuân"
    assert "yyyy" in sheet.cell(row=2, column=12).number_format
    # the erased person: anonymous, no phone, no birth year
    anonymous = next(row for row in rows if row[2] == "Ẩn danh (đã xoá dữ liệu)")
    assert anonymous[3] is None and anonymous[4] is None

    units = [[cell.value for cell in row] for row in book["Đơn vị"].iter_rows(min_row=2)]
    assert [(row[0], row[2], row[6]) for row in units] == [(1, "p-a", 5), (2, "p-b", 4)]
    assert units[0][1] == "Giải tập thể" and units[1][1] is None
    assert units[0][7] == pytest.approx(5 / 100)

    awards = [[cell.value for cell in row] for row in book["Giải thưởng"].iter_rows(min_row=2)]
    firsts = [row[4] for row in awards if row[0] == "Giải Nhất"]
    assert sorted(firsts) == ["Nguyễn Văn An", "Trần Thị Bình"]  # one place, two people tied for it
    assert [row[4] for row in awards if row[0] == "Giải Nhì"] == ["Lê Văn Cường"]
    assert [row[4] for row in awards if row[0] == "Giải tập thể"] == ["Đức Xuân"]

    rules = {row[0]: row[1] for row in _sheet_rows(out, 4)[1:]}
    assert rules["Số người dự thi thực tế (để tính độ lệch dự đoán)"] == str(ENTRANTS)
    fingerprint = rules["Dấu vân tay của bảng câu trả lời (SHA-256)"]
    assert len(fingerprint) == 64
    # the same data, the same fingerprint
    again = tmp_path / "again.xlsx"
    assert await _run(settings, again) == 0
    assert {row[0]: row[1] for row in _sheet_rows(again, 4)[1:]}[
        "Dấu vân tay của bảng câu trả lời (SHA-256)"
    ] == fingerprint

    async with uow:
        audit = await uow.audit.recent()
    assert [row[1:4] for row in audit[:2]] == [("test:organizer", "export.results", "open-now")] * 2


async def test_the_questions_sheet_counts_shown_answered_and_right(seeded, tmp_path):
    settings, _, questions = seeded
    out = tmp_path / "results.xlsx"
    assert await _run(settings, out, no_stats=True) == 0
    rows = _sheet_rows(out, 3)
    body = {row[0]: row for row in rows[1:]}
    assert set(body) == set(questions)
    attempts = sum(len(person.attempts) for person in PEOPLE)
    first = body[questions[0]]
    assert first[3] == attempts and first[4] == attempts  # shown and answered in every attempt
    right = sum(1 for person in PEOPLE for attempt in person.attempts if attempt[0] >= 1)
    assert first[5] == pytest.approx(right / attempts)
    # the hardest question first
    assert [row[0] for row in rows[1:]] == [questions[2], questions[1], questions[0]]


async def test_phones_in_full_only_when_asked_and_it_is_audited(seeded, uow, tmp_path):
    settings, _, _ = seeded
    masked, full = tmp_path / "masked.xlsx", tmp_path / "full.xlsx"
    assert await _run(settings, masked) == 0
    assert await _run(settings, full, full_phones=True, actor="test:admin") == 0
    phones_masked = {row[2]: row[3] for row in _sheet_rows(masked, 0)[1:]}
    phones_full = {row[2]: row[3] for row in _sheet_rows(full, 0)[1:]}
    assert phones_masked["Nguyễn Văn An"] == "09xx…001"
    assert phones_full["Nguyễn Văn An"] == "+84911000001"
    assert all("0911" not in str(phone) and "+84" not in str(phone) for phone in phones_masked.values())
    async with uow:
        rows = await uow.session.execute(
            __import__("sqlalchemy").text("SELECT actor, details FROM audit_log ORDER BY id DESC LIMIT 1")
        )
        actor, details = rows.one()
    assert actor == "test:admin" and '"full_phones": true' in details and '"rows": 10' in details


async def test_csv_is_one_file_per_sheet_with_a_bom_and_vietnamese(seeded, tmp_path):
    settings, _, _ = seeded
    out = tmp_path / "results.csv"
    assert await _run(settings, out, format="csv") == 0
    individuals = tmp_path / "results-individuals.csv"
    for key in ("individuals", "units", "awards", "questions", "rules", "registrations"):
        assert (tmp_path / f"results-{key}.csv").exists()
    raw = individuals.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["Hạng", "Giải", "Họ và tên"]
    assert rows[1][2] in ("Nguyễn Văn An", "Trần Thị Bình") and rows[1][1] == "Giải Nhất"
    assert rows[1][10] == "10"  # seconds, no grouping
    assert rows[1][11].startswith("05/09/2026 09:00:00")  # Vietnamese order, the organizer's time zone
    english = tmp_path / "en.csv"
    assert await _run(settings, english, format="csv", lang="en") == 0
    rows = list(csv.reader((tmp_path / "en-individuals.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["Rank", "Prize", "Full name"]
    assert rows[1][11].startswith("09/05/2026 09:00:00")


def test_masking_keeps_only_the_ends():
    assert mask_phone("+84 912 345 678") == "09xx…678"
    assert mask_phone("0912345678") == "09xx…678"
    assert mask_phone("") == "" and mask_phone(None) == ""
    assert mask_phone("123") == "…"


def test_texts_that_look_like_formulas_links_or_numbers_stay_texts(tmp_path):
    """A citizen types their own name: '=HYPERLINK(...)' must not become a live formula in the jury's Excel."""
    from datetime import UTC

    from bot.reports.table import Column, Kind, SheetSpec
    from bot.reports.xlsx import XlsxBook

    texts = ['=HYPERLINK("http://127.0.0.1/x","prize")', "{=A1}", "http://127.0.0.1/", "0912345678", "1e5"]
    out = tmp_path / "texts.xlsx"
    book = XlsxBook(out, "vi", ZONE)
    sheet = book.sheet(
        SheetSpec("t", "T", (Column("text"), Column("n", Kind.integer), Column("at", Kind.moment), Column("x")))
    )
    moment = datetime(2026, 9, 5, 2, 30, tzinfo=UTC)
    for text in texts:
        sheet.row((text, 7, moment, 42))  # 42 in a text column is written as the text "42"
    book.close()
    rows = list(load_workbook(out).worksheets[0].iter_rows(min_row=2))
    assert [row[0].value for row in rows] == texts
    assert {row[0].data_type for row in rows} == {"s"}
    assert {row[3].value for row in rows} == {"42"}
    assert rows[0][1].value == 7 and rows[0][1].data_type == "n"
    assert rows[0][2].value == datetime(2026, 9, 5, 9, 30)  # the organizer's wall clock (UTC+7)
    assert "yyyy" in rows[0][2].number_format
