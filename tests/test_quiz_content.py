"""Question banks, contests and spreadsheets: the real content is valid; bad files and rows are reported."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.config import ROOT
from bot.domain.quiz.sampling import draw
from bot.domain.quiz.schema import Contest, load_quiz_bank
from bot.domain.quiz.spreadsheet import SpreadsheetError, import_file, parse
from tests.quiz_support import contest_yaml, make_bank

TEMPLATE = ROOT / "quiz_bank" / "import-template.csv"


def test_the_shipped_quiz_bank_is_valid_and_big_enough():
    bank, problems = load_quiz_bank(ROOT / "quiz_bank")
    assert [p for p in problems if not p.warning] == []
    assert len(bank.questions) >= 60
    assert bank.practice() is not None
    assert any(contest.mode == "contest" for contest in bank.contests.values())


def _bank_file(folder: Path, text: str) -> Path:
    (folder / "questions").mkdir(parents=True)
    (folder / "contests").mkdir()
    path = folder / "questions" / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BAD_QUESTION = """questions:
  - id: q-1
    topic: t
    difficulty: 1
    text: {vi: "Câu hỏi?"}
    options:
      - {vi: "A"}
    answer: 3
    explanation: {vi: "Vì vậy."}
    source: {document: "Doc", url: "not a url"}
"""


def test_bad_question_errors_point_at_file_and_line(tmp_path):
    _bank_file(tmp_path, BAD_QUESTION)
    _, problems = load_quiz_bank(tmp_path)
    errors = [str(p) for p in problems if not p.warning]
    assert any("bad.yaml:6:" in e and "options" in e for e in errors), errors
    assert any("bad.yaml:10:" in e and "source.url" in e for e in errors), errors


def test_missing_translations_are_warnings_and_fall_back_to_vietnamese(tmp_path):
    _bank_file(
        tmp_path,
        BAD_QUESTION.replace('- {vi: "A"}', '- {vi: "A"}\n      - {vi: "B"}\n      - {vi: "C"}').replace(
            "not a url", "https://example.org"
        ),
    )
    bank, problems = load_quiz_bank(tmp_path)
    assert problems and all(p.warning for p in problems)
    assert any("bad.yaml:5:" in str(p) and "no en/th text" in str(p) for p in problems)
    assert bank.questions["q-1"].text.get("th") == "Câu hỏi?"


def test_duplicate_ids_yaml_errors_and_quota_shortage(tmp_path):
    folder = make_bank(tmp_path / "bank", [contest_yaml(quotas={"laws": 50})])
    shutil.copy(folder / "questions" / "laws.yaml", folder / "questions" / "laws-copy.yaml")
    (folder / "questions" / "broken.yaml").write_text("questions: [\n", encoding="utf-8")
    _, problems = load_quiz_bank(folder)
    text = "\n".join(str(p) for p in problems)
    assert "laws-copy.yaml:" in text and "already used at" in text
    assert "broken.yaml:" in text and "not valid YAML" in text
    assert "open-now.yaml:" in text and "needs 50 question(s)" in text


@pytest.mark.parametrize(
    "change, message",
    [
        ({"window": {"start": "2023-09-10T00:00:00", "end": "2023-10-01T00:00:00+07:00"}}, "time zone"),
        ({"questions_per_attempt": 5}, "add up to 3"),
        (
            {"prizes": {"individual": [], "group": {"count": 1, "criterion": "loudest", "title": {"vi": "x"}}}},
            "criterion",
        ),
        ({"prediction": {"enabled": True}}, "needs its text"),
    ],
)
def test_bad_contest_files_are_reported(tmp_path, change, message):
    folder = make_bank(tmp_path / "bank", [{**contest_yaml(), **change}])
    _, problems = load_quiz_bank(folder)
    assert any("open-now.yaml:" in str(p) and message in str(p) for p in problems), problems


def test_sampling_follows_quotas_and_shuffles_options_reproducibly():
    bank, _ = load_quiz_bank(ROOT / "quiz_bank")
    contest = bank.contests["backan-dx-2023"]
    first = draw(contest, bank, random.Random(7))
    assert first == draw(contest, bank, random.Random(7))
    assert len(first) == contest.questions_per_attempt == len({item.question_id for item in first})
    topics = [bank.questions[item.question_id].topic for item in first]
    assert {topic: topics.count(topic) for topic in topics} == contest.topic_quotas
    for item in first:
        assert sorted(item.order) == list(range(len(bank.questions[item.question_id].options)))
    orders = {item.order for seed in range(20) for item in draw(contest, bank, random.Random(seed))}
    assert len(orders) > 5  # options really move


def test_spreadsheet_template_parses_and_imports_into_a_bank_file(tmp_path):
    folder = tmp_path / "bank"
    (folder / "questions").mkdir(parents=True)
    (folder / "contests").mkdir()
    target = import_file(TEMPLATE, folder)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert [q["id"] for q in data["questions"]] == ["dx-day-01", "p06-05"]
    bank, problems = load_quiz_bank(folder)
    assert not [p for p in problems if not p.warning]
    assert bank.questions["p06-05"].guide == "vneid-level2-activation"
    assert import_file(TEMPLATE, folder) == target  # importing again replaces, not duplicates


def _bad_csv(tmp_path: Path) -> Path:
    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    good = lines[1]
    answer = header.index("answer")
    bad_answer = next(csv_row for csv_row in [_set(header, good, answer, "9")])
    no_text = _set(header, lines[2], header.index("text_vi"), "")
    path = tmp_path / "bad.csv"
    path.write_text(
        "\n".join([lines[0], good, bad_answer.replace("dx-day-01", "dx-x"), no_text]) + "\n", encoding="utf-8"
    )
    return path


def _set(header: list[str], line: str, index: int, value: str) -> str:
    import csv
    import io

    row = next(csv.reader(io.StringIO(line)))
    row[index] = value
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue().strip()


def test_bad_spreadsheet_rows_are_reported_by_number_and_nothing_is_written(tmp_path):
    folder = tmp_path / "bank"
    (folder / "questions").mkdir(parents=True)
    (folder / "contests").mkdir()
    with pytest.raises(SpreadsheetError) as raised:
        import_file(_bad_csv(tmp_path), folder)
    problems = raised.value.problems
    assert any(p.startswith("row 3:") and "answer 9" in p for p in problems), problems
    assert any(p.startswith("row 4:") and "text" in p for p in problems), problems
    assert not any(p.startswith("row 2:") for p in problems)
    assert list((folder / "questions").iterdir()) == []


def test_xlsx_rows_are_read_like_csv(tmp_path):
    import csv

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in csv.reader(TEMPLATE.open(encoding="utf-8")):
        sheet.append([int(cell) if cell.isdigit() else cell for cell in row])
    sheet.append(["dup"] + [""] * 5)
    path = tmp_path / "questions.xlsx"
    workbook.save(path)
    with pytest.raises(SpreadsheetError) as raised:
        parse(path)
    assert [p for p in raised.value.problems if p.startswith("row 4:")]
    assert not [p for p in raised.value.problems if p.startswith(("row 2:", "row 3:"))]


def test_cli_import_reports_bad_rows_and_imports_good_files(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    folder = tmp_path / "bank"
    (folder / "questions").mkdir(parents=True)
    (folder / "contests").mkdir()
    monkeypatch.setenv("QUIZ_BANK_DIR", str(folder))
    assert main(["quiz", "import", str(_bad_csv(tmp_path))]) == 1
    assert "row 3:" in capsys.readouterr().err
    assert main(["quiz", "import", str(TEMPLATE)]) == 0
    assert (folder / "questions" / "imported-import-template.yaml").exists()


# ---------------------------------------------------------------- reviews, labels, demo contests, the template

REVIEWED = date(2026, 12, 2)


def _problems(folder: Path, today: date = REVIEWED, max_age: int = 180, demo: bool = False):
    return load_quiz_bank(folder, demo_contests=demo, today=today, review_max_age_days=max_age)


def _contest_file(tmp_path: Path, contest: dict) -> Path:
    return make_bank(tmp_path / "bank", [contest])


def test_the_2023_contest_says_which_rules_are_official_and_marks_the_seed_figures_unconfirmed():
    bank, _ = load_quiz_bank(ROOT / "quiz_bank")
    contest = bank.contests["backan-dx-2023"]
    assert contest.provenance is not None
    assert {"window", "eligibility", "groups"} <= set(contest.provenance.official)
    assert {"questions_per_attempt", "time_limit_minutes", "attempts_allowed", "prizes"} <= set(
        contest.provenance.modelled
    )
    unconfirmed = " ".join(contest.unconfirmed)
    assert "21.217" in unconfirmed and "62" in unconfirmed and "unconfirmed" in unconfirmed
    assert contest.description is not None and contest.description.en and contest.description.th
    assert "mô phỏng" in contest.description.vi and "modelled" in (contest.description.en or "")


def test_a_bank_review_older_than_the_limit_is_one_warning_at_its_line(tmp_path):
    folder = make_bank(tmp_path / "bank")
    path = folder / "questions" / "laws.yaml"
    text = path.read_text(encoding="utf-8")
    line = text[: text.index("  checked: 2026-12-02")].count("\n") + 1
    path.write_text(text.replace("  checked: 2026-12-02\n", "  checked: 2026-01-01\n", 1), encoding="utf-8")
    _, problems = _problems(folder)
    old = [str(p) for p in problems if "last reviewed" in str(p)]
    assert old == [
        f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}:{line}: warning: question bank: "
        "last reviewed 2026-01-01, 335 days ago (more than 180, CONTENT_REVIEW_MAX_AGE_DAYS): "
        "check the facts again and record the new date"
    ], old
    assert not [p for p in _problems(folder, max_age=400)[1] if "last reviewed" in str(p)]


def test_a_bank_without_review_and_unread_sources_are_warnings_with_lines(tmp_path):
    _bank_file(
        tmp_path,
        BAD_QUESTION.replace('- {vi: "A"}', '- {vi: "A"}\n      - {vi: "B"}\n      - {vi: "C"}').replace(
            "not a url", "https://example.org"
        ),
    )
    _, problems = _problems(tmp_path)
    text = [str(p) for p in problems]
    assert any("bad.yaml:1: warning: question bank: no review record" in p for p in text), text
    assert any("bad.yaml:12: warning: 1 of 1 question sources were never checked" in p and "q-1" in p for p in text)


def test_a_future_review_or_source_date_is_an_error(tmp_path):
    folder = make_bank(tmp_path / "bank")
    path = folder / "questions" / "laws.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("checked: 2026-12-02}", "checked: 2027-05-01}", 1), encoding="utf-8")
    errors = [str(p) for p in _problems(folder)[1] if not p.warning]
    assert any("laws.yaml:" in e and "checked date 2027-05-01 is in the future" in e for e in errors), errors


def test_a_source_checked_before_it_was_published_is_an_error(tmp_path):
    folder = make_bank(tmp_path / "bank")
    path = folder / "questions" / "laws.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("published: 2026-01-01, checked: 2026-12-02", "published: 2026-01-01, checked: 2025-12-31"),
        encoding="utf-8",
    )
    errors = [str(p) for p in _problems(folder)[1] if not p.warning]
    assert any("laws.yaml:" in e and "checked is before published" in e for e in errors), errors


def test_a_contest_review_is_expected_and_group_labels_fit_a_button(tmp_path):
    contest = contest_yaml()
    contest["groups"][0]["title"] = {"vi": "Nhóm 2: Nhân dân trên địa bàn tỉnh (học sinh, sinh viên)"}
    folder = _contest_file(tmp_path, contest)
    text = [str(p) for p in _problems(folder)[1]]
    assert any("open-now.yaml:1: warning: contest 'open-now': no review record" in p for p in text), text
    assert any("open-now.yaml:" in p and "group 'citizens': title is longer than 28 characters" in p for p in text)

    contest["groups"][0]["label"] = {"vi": "Nhóm 2: Nhân dân trên địa bàn tỉnh"}
    folder = _contest_file(tmp_path / "again", contest)
    errors = [str(p) for p in _problems(folder)[1] if not p.warning]
    assert any("groups.0.label.vi: String should have at most 28 characters" in e for e in errors), errors


def test_provenance_must_name_real_rules_once(tmp_path):
    folder = _contest_file(tmp_path, {**contest_yaml(), "provenance": {"official": ["window", "weather"]}})
    assert any("provenance names no rule of a contest: weather" in str(p) for p in _problems(folder)[1])
    folder = _contest_file(
        tmp_path / "twice", {**contest_yaml(), "provenance": {"official": ["window"], "modelled": ["window"]}}
    )
    assert any("more than one origin" in str(p) for p in _problems(folder)[1])


def _demo(**change) -> dict:
    contest = {**contest_yaml("trial"), "demo": True, "rolling_window": {"minutes": 60}}
    contest.pop("window")
    contest["title"] = {"vi": "DEMO – thử", "en": "DEMO – trial", "th": "DEMO – ทดลอง"}
    return {**contest, **change}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"title": {"vi": "Cuộc thi thử", "en": "Trial", "th": "ทดลอง"}}, "must contain the word DEMO"),
        ({"title": {"vi": "DEMO – thử"}}, "title in 'en' must contain the word DEMO"),
        ({"window": {"start": "2026-01-01T00:00:00+07:00", "end": "2027-01-01T00:00:00+07:00"}}, "no fixed window"),
        ({"rolling_window": None}, "rolling_window"),
        ({"rolling_window": {"minutes": 5}}, "at least as long as the time limit"),
    ],
)
def test_a_demo_contest_is_marked_and_has_a_rolling_window(tmp_path, change, message):
    folder = _contest_file(tmp_path, _demo(**change))
    assert any("trial.yaml:" in str(p) and message in str(p) for p in _problems(folder)[1]), _problems(folder)[1]


def test_a_rolling_window_belongs_to_demo_contests_only(tmp_path):
    folder = _contest_file(tmp_path, {**contest_yaml(), "rolling_window": {"minutes": 60}})
    assert any("only for demo contests" in str(p) for p in _problems(folder)[1])


def test_the_demo_contest_opens_only_when_demo_contests_are_on():
    now = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    off, _ = load_quiz_bank(ROOT / "quiz_bank")
    assert off.active_contest(now) is None
    assert "demo" in off.contests  # still known, so its results can be exported
    assert all(contest.id != "demo" for contest in [off.latest_contest(now)] if contest)
    on, problems = load_quiz_bank(ROOT / "quiz_bank", demo_contests=True, today=now.date())
    assert not [p for p in problems if not p.warning and "demo" in p.file]
    demo = on.active_contest(now)
    assert demo is not None and demo.id == "demo" and demo.demo
    assert demo.window is not None and demo.window.start <= now < demo.window.end
    assert demo.window.end - demo.window.start == timedelta(minutes=60)
    assert demo.is_open(now) and not demo.is_open(demo.window.end)
    later = on.active_contest(demo.window.end + timedelta(minutes=1))
    assert later is not None and later.window.start == demo.window.end  # the next window follows at once
    assert all("DEMO" in getattr(demo.title, language) for language in ("vi", "en", "th"))


def test_a_real_open_contest_wins_over_the_demo(tmp_path):
    folder = make_bank(tmp_path / "bank", [contest_yaml(), _demo()])
    bank, _ = load_quiz_bank(folder, demo_contests=True)
    assert bank.active_contest(datetime.now(UTC)).id == "open-now"


def test_the_contest_template_is_a_valid_contest_and_is_never_loaded_as_one(tmp_path):
    template = ROOT / "quiz_bank" / "contest-template.yaml"
    data = yaml.safe_load(template.read_text(encoding="utf-8"))
    contest = Contest.model_validate(data)
    assert contest.mode == "contest" and not contest.demo
    bank, _ = load_quiz_bank(ROOT / "quiz_bank")
    assert contest.id not in bank.contests
    # Every top-level field of the template is explained by a comment right above it.
    lines = template.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith((" ", "#")) and ":" in line:
            assert lines[index - 1].startswith("#"), line
    # Copied as it is, its placeholder dates (in the future) make `content check` fail until they are set.
    folder = make_bank(tmp_path / "bank", [])
    shutil.copy(template, folder / "contests" / "new.yaml")
    errors = [str(p) for p in _problems(folder)[1] if not p.warning]
    assert any("new.yaml:" in e and "in the future" in e for e in errors), errors
