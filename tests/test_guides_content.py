"""Guide files are validated on load, with `file:line` problems, through `content check` too."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ROOT, Settings
from bot.content.registry import check_all
from bot.domain.guides.catalogue import load_catalogue

SAMPLE = "vneid-level2-activation"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "procedures" / "categories.yaml", tmp_path / "categories.yaml")
    shutil.copy(ROOT / "procedures" / f"{SAMPLE}.yaml", tmp_path / f"{SAMPLE}.yaml")
    return tmp_path


def _edit(folder: Path, old: str, new: str, count: int = 1) -> int:
    """Replace text in the sample guide; return the 1-based line of the first replacement."""
    path = folder / f"{SAMPLE}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def _errors(folder: Path) -> list[str]:
    return [str(problem) for problem in load_catalogue(folder)[1] if not problem.warning]


def test_the_shipped_guides_are_valid_and_every_category_is_used():
    catalogue, problems = load_catalogue(ROOT / "procedures")
    assert [str(problem) for problem in problems if not problem.warning] == []
    assert len(catalogue.guides) >= 5
    assert {guide.category for guide in catalogue.guides.values()} == {category.id for category in catalogue.categories}


def test_a_valid_copy_loads_with_steps_and_checklist(folder: Path):
    catalogue, problems = load_catalogue(folder)
    guide = catalogue.guides[SAMPLE]
    assert problems == [] or all(problem.warning for problem in problems)
    assert len(guide.steps) >= 3 and guide.documents
    assert len(guide.version) == 6


def test_missing_field_is_reported_with_file_and_line(folder: Path):
    line = _edit(folder, "fees:\n", "fee_typo:\n")
    errors = _errors(folder)
    assert any(f"{SAMPLE}.yaml:{line}: fee_typo: Extra inputs are not permitted" in error for error in errors), errors
    assert any(": fees: Field required" in error for error in errors), errors
    assert SAMPLE not in load_catalogue(folder)[0].guides


def test_unknown_category_points_at_its_line(folder: Path):
    line = _edit(folder, "category: identity", "category: weather")
    errors = _errors(folder)
    assert len(errors) == 1
    assert f"{SAMPLE}.yaml:{line}: category: unknown category 'weather'" in errors[0]


def test_step_without_text(folder: Path):
    line = _edit(folder, "  - text:\n      vi: \"Mở ứng dụng VNeID", "  - tip_only:\n      vi: \"Mở ứng dụng VNeID")
    errors = _errors(folder)
    assert any(error.endswith(f"{SAMPLE}.yaml:{line}: steps.1.tip_only: Extra inputs are not permitted")
               for error in errors), errors
    assert any(error.endswith(f"{SAMPLE}.yaml:{line}: steps.1.text: Field required") for error in errors), errors


def test_bad_url(folder: Path):
    line = _edit(folder, 'url: "https://vneid.gov.vn"\n  label', 'url: "vneid.gov.vn"\n  label')
    errors = _errors(folder)
    assert len(errors) == 1
    assert errors[0].endswith(f"{SAMPLE}.yaml:{line}: official_link.url: 'vneid.gov.vn' is not a web address starting with https://")


def test_id_must_match_the_file_name(folder: Path):
    _edit(folder, f"id: {SAMPLE}", "id: other-name")
    assert any("must equal the file name" in error for error in _errors(folder))


def test_broken_yaml_is_an_error_not_a_crash(folder: Path):
    (folder / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    assert any("broken.yaml:3: not valid YAML" in error for error in _errors(folder)), _errors(folder)


def test_missing_translation_falls_back_to_vietnamese_with_a_warning(folder: Path):
    _edit(folder, '  en: "Activate your level-2 VNeID electronic ID account"\n', "")
    line = _edit(folder, "title:\n", "title:\n")
    catalogue, problems = load_catalogue(folder)
    warnings = [str(problem) for problem in problems if problem.warning]
    assert any(f"{SAMPLE}.yaml:{line}: warning: title: no en translation" in warning for warning in warnings), warnings
    guide = catalogue.guides[SAMPLE]
    assert guide.title.get("en") == guide.title.vi
    assert guide.title.get("th") != guide.title.vi


def test_content_check_command_fails_on_errors(folder: Path, monkeypatch, capsys):
    _edit(folder, "category: identity", "category: weather")
    monkeypatch.setenv("PROCEDURES_DIR", str(folder))
    assert main(["content", "check"]) == 1
    output = capsys.readouterr().out
    assert "unknown category 'weather'" in output and "1 error(s)" in output


def test_registry_runs_the_guides_checker(folder: Path):
    _edit(folder, "category: identity", "category: weather")
    settings = Settings(_env_file=None, procedures_dir=folder)
    assert any("unknown category" in str(problem) for problem in check_all(settings))
