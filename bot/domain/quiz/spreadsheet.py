"""Import questions from the spreadsheets organizers write (CSV or XLSX, one row per question).

Columns are those of quiz_bank/import-template.csv. Every row is validated with the same rules as the YAML
banks; any bad row is reported as `row N: reason` and nothing is written. A good file becomes
quiz_bank/questions/imported-<file name>.yaml, which `content check` and the bot then load like any bank.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.domain.quiz.schema import LANGUAGES, Question, load_quiz_bank

MAX_OPTIONS = 6
TEXT_COLUMNS = ("text", "explanation")
REQUIRED = (
    "id",
    "topic",
    "difficulty",
    "text_vi",
    "option1_vi",
    "option2_vi",
    "answer",
    "explanation_vi",
    "source_document",
    "source_url",
)


class SpreadsheetError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_rows(path: Path) -> list[dict[str, str]]:
    """Header row plus data rows as dictionaries of stripped strings."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        if sheet is None:
            raise SpreadsheetError([f"{path.name}: the workbook has no sheet"])
        values = [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    elif path.suffix.lower() == ".csv":
        values = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    else:
        raise SpreadsheetError([f"{path.name}: expected a .csv or .xlsx file"])
    if not values:
        raise SpreadsheetError(["row 1: the file is empty"])
    header = [name.strip() for name in values[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise SpreadsheetError([f"row 1: missing column(s): {', '.join(missing)}"])
    return [
        {name: (cells[index].strip() if index < len(cells) else "") for index, name in enumerate(header)}
        for cells in values[1:]
    ]


def _localized(row: dict[str, str], prefix: str) -> dict[str, str] | None:
    texts = {language: row.get(f"{prefix}_{language}", "") for language in LANGUAGES}
    if not any(texts.values()):
        return None
    return {language: text for language, text in texts.items() if text}


def _to_question(row: dict[str, str]) -> dict[str, Any]:
    options = [option for number in range(1, MAX_OPTIONS + 1) if (option := _localized(row, f"option{number}"))]
    question: dict[str, Any] = {
        "id": row["id"],
        "topic": row["topic"],
        "difficulty": _number(row["difficulty"]),
        "text": _localized(row, "text"),
        "options": options,
        "answer": _number(row["answer"]),
        "explanation": _localized(row, "explanation"),
        "source": {"document": row["source_document"], "url": row["source_url"]},
    }
    if row.get("guide"):
        question["guide"] = row["guide"]
    return question


def _number(text: str) -> int | str:
    return int(float(text)) if re.fullmatch(r"\d+(\.0+)?", text) else text


def parse(path: Path, existing_ids: AbstractSet[str] = frozenset()) -> list[dict[str, Any]]:
    problems: list[str] = []
    questions: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(read_rows(path), start=2):
        if not any(row.values()):
            continue
        data = _to_question(row)
        try:
            Question.model_validate(data)
        except ValidationError as error:
            for item in error.errors():
                where = ".".join(str(part) for part in item["loc"]) or "row"
                problems.append(f"row {number}: {where}: {item['msg'].removeprefix('Value error, ')}")
            continue
        if data["id"] in seen:
            problems.append(f"row {number}: id {data['id']!r} is already used on row {seen[data['id']]}")
        elif data["id"] in existing_ids:
            problems.append(f"row {number}: id {data['id']!r} is already in the question banks")
        seen.setdefault(data["id"], number)
        questions.append(data)
    if not questions and not problems:
        problems.append("the file has no question rows")
    if problems:
        raise SpreadsheetError(problems)
    return questions


def import_file(path: Path, bank_dir: Path) -> Path:
    """Validate every row, then write one bank file; raises SpreadsheetError and writes nothing on error."""
    target = bank_dir / "questions" / f"imported-{re.sub(r'[^a-z0-9-]+', '-', path.stem.lower()).strip('-')}.yaml"
    bank, _ = load_quiz_bank(bank_dir)
    replaced = set()
    if target.exists():  # importing the same spreadsheet again replaces its earlier import
        replaced = {q["id"] for q in (yaml.safe_load(target.read_text(encoding="utf-8")) or {}).get("questions", [])}
    questions = parse(path, set(bank.questions) - replaced)
    header = f"# Imported from {path.name}; edit the spreadsheet and import again rather than this file.\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        header + yaml.safe_dump({"questions": questions}, allow_unicode=True, sort_keys=False, width=120),
        encoding="utf-8",
    )
    return target
