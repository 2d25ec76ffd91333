"""Question banks, contests and spreadsheets: the real content is valid; bad files and rows are reported."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import yaml

from bot.config import ROOT
from bot.domain.quiz.sampling import draw
from bot.domain.quiz.schema import load_quiz_bank
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
    _bank_file(tmp_path, BAD_QUESTION.replace('- {vi: "A"}', '- {vi: "A"}\n      - {vi: "B"}\n      - {vi: "C"}')
               .replace("not a url", "https://example.org"))
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


@pytest.mark.parametrize("change, message", [
    ({"window": {"start": "2023-09-10T00:00:00", "end": "2023-10-01T00:00:00+07:00"}}, "time zone"),
    ({"questions_per_attempt": 5}, "add up to 3"),
    ({"prizes": {"individual": [], "group": {"count": 1, "criterion": "loudest", "title": {"vi": "x"}}}},
     "criterion"),
    ({"prediction": {"enabled": True}}, "needs its text"),
])
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
    path.write_text("\n".join([lines[0], good, bad_answer.replace("dx-day-01", "dx-x"), no_text]) + "\n",
                    encoding="utf-8")
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
