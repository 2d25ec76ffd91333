"""Guide files are validated on load, with `file:line` problems, through `content check` too."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ROOT, Settings
from bot.content.registry import check_all
from bot.domain.guides.catalogue import load_catalogue
from bot.features import checkers

SAMPLE = "vneid-level2-activation"
REVIEWED = date(2026, 12, 2)  # the day the sample guide was last checked


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


def _errors(folder: Path, today: date = REVIEWED) -> list[str]:
    return [str(problem) for problem in load_catalogue(folder, today=today)[1] if not problem.warning]


def _warnings(folder: Path, today: date = REVIEWED, max_age: int = 180) -> list[str]:
    problems = load_catalogue(folder, today=today, review_max_age_days=max_age)[1]
    return [str(problem) for problem in problems if problem.warning]


def test_the_shipped_guides_are_valid_and_every_category_is_used():
    catalogue, problems = load_catalogue(ROOT / "procedures", today=REVIEWED)
    assert [str(problem) for problem in problems if not problem.warning] == []
    assert len(catalogue.guides) >= 5
    assert {guide.category for guide in catalogue.guides.values()} == {category.id for category in catalogue.categories}


def test_every_shipped_guide_and_category_has_a_short_label_in_every_language():
    catalogue, _ = load_catalogue(ROOT / "procedures", today=REVIEWED)
    for item in [*catalogue.guides.values(), *catalogue.categories]:
        assert item.label is not None, item.id
        assert all(item.label.get(language) and len(item.label.get(language)) <= 28 for language in ("vi", "en", "th"))
        assert item.label.en and item.label.th, item.id


def test_shipped_guides_speak_of_2026_not_of_abolished_units_or_accounts():
    """Towns and districts are gone since 1 July 2025; the portal has no own accounts since 1 July 2024."""
    catalogue, _ = load_catalogue(ROOT / "procedures", today=REVIEWED)
    for guide in catalogue.guides.values():
        shown = " ".join(
            text
            for part in (
                guide.title,
                guide.audience,
                guide.fees,
                guide.processing_time,
                guide.deadline,
                guide.good_to_know,
                *guide.documents,
                *[step.text for step in guide.steps],
                *[step.tip for step in guide.steps if step.tip],
            )
            if part is not None
            for text in part.all()
        )
        for outdated in ("thị trấn", "huyện", "tài khoản Cổng Dịch vụ công", "Portal account", "Bắc Kạn"):
            assert outdated not in shown, (guide.id, outdated)
    death = catalogue.guides["death-registration-linked"]
    assert death.deadline is not None and "15" in death.deadline.vi and "Điều 33" in death.deadline.vi


def test_a_review_is_required_and_names_what_was_checked(folder: Path):
    text = (folder / f"{SAMPLE}.yaml").read_text(encoding="utf-8")
    start = text.index("review:\n")
    end = text.index("official_link:")
    (folder / f"{SAMPLE}.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    assert any(": review: Field required" in error for error in _errors(folder)), _errors(folder)

    line = text[:start].count("\n") + 1
    (folder / f"{SAMPLE}.yaml").write_text(re.sub(r"^  against: .*\n", "", text, count=1, flags=re.M), encoding="utf-8")
    errors = _errors(folder)
    assert any(
        f"{SAMPLE}.yaml:{line}: review: a review with a date must name the document(s)" in error for error in errors
    ), errors


def test_an_old_review_is_a_warning_at_its_line_and_the_age_is_configurable(folder: Path):
    line = _edit(folder, "  checked: 2026-12-02\n  against:", "  checked: 2026-01-02\n  against:")
    expected = f"{SAMPLE}.yaml:{line}: warning: guide {SAMPLE!r}: last reviewed 2026-01-02, 334 days ago (more than 180"
    assert any(expected in warning for warning in _warnings(folder)), _warnings(folder)
    assert not any("last reviewed" in warning for warning in _warnings(folder, max_age=400))


def test_content_check_reads_the_review_age_from_the_settings(folder: Path, monkeypatch, capsys):
    _edit(folder, "  checked: 2026-12-02\n  against:", "  checked: 2020-01-02\n  against:")
    monkeypatch.setenv("PROCEDURES_DIR", str(folder))
    monkeypatch.setenv("CONTENT_REVIEW_MAX_AGE_DAYS", "30")
    assert main(["content", "check"]) == 0
    output = capsys.readouterr().out
    assert "last reviewed 2020-01-02" in output and "more than 30, CONTENT_REVIEW_MAX_AGE_DAYS" in output
    assert Settings(_env_file=None).content_review_max_age_days == 30


def test_a_review_or_source_dated_in_the_future_is_an_error(folder: Path):
    line = _edit(folder, "  checked: 2026-12-02\n  against:", "  checked: 2030-01-01\n  against:")
    assert any(
        f"{SAMPLE}.yaml:{line}: guide {SAMPLE!r}: review date 2030-01-01 is in the future" in e for e in _errors(folder)
    )


def test_a_source_never_checked_is_a_warning(folder: Path):
    line = _edit(folder, '  - title: "Đề án 06 tỉnh Hà Nam', '  - title: "Đề án 06 tỉnh Hà Nam')
    _edit(
        folder,
        '    url: "https://dean06.hanam.gov.vn/tailieu/dk_t5.html"\n    checked: 2026-12-02\n',
        '    url: "https://dean06.hanam.gov.vn/tailieu/dk_t5.html"\n',
    )
    assert any(
        f"{SAMPLE}.yaml:{line}: warning: source 'Đề án 06 tỉnh Hà Nam" in w and "never checked" in w
        for w in _warnings(folder)
    ), _warnings(folder)


def test_a_source_read_before_a_replacing_law_came_into_force_is_flagged(folder: Path):
    _edit(folder, "in_force: 2024-07-01", "in_force: 2026-12-01")
    line = (
        _edit(
            folder,
            '    url: "https://dean06.hanam.gov.vn/tailieu/dk_t5.html"\n    checked: 2026-12-02\n',
            '    url: "https://dean06.hanam.gov.vn/tailieu/dk_t5.html"\n    checked: 2026-11-30\n',
        )
        + 1
    )
    flagged = [w for w in _warnings(folder) if "came into force" in w]
    assert flagged and f"{SAMPLE}.yaml:{line}: warning: source 'Đề án 06" in flagged[0], flagged
    assert (
        "before Nghị định 69/2024/NĐ-CP came into force on 2026-12-01 (it replaced Nghị định 59/2022/NĐ-CP)"
        in flagged[0]
    )
    # Sources read on or after the day the law took effect are not flagged.
    assert len(flagged) == 1


def test_a_label_longer_than_a_button_is_an_error_at_its_line(folder: Path):
    line = _edit(folder, 'label: {vi: "Kích hoạt VNeID mức 2"', 'label: {vi: "Kích hoạt tài khoản VNeID mức 2 ngay"')
    assert any(
        f"{SAMPLE}.yaml:{line}: label.vi: String should have at most 28 characters" in e for e in _errors(folder)
    ), _errors(folder)


def test_a_long_title_without_a_label_is_a_warning(folder: Path):
    line = _edit(
        folder, 'label: {vi: "Kích hoạt VNeID mức 2", en: "Activate VNeID level 2", th: "เปิดใช้ VNeID ระดับ 2"}\n', ""
    )
    title_line = line - 4
    assert any(f"{SAMPLE}.yaml:{title_line}: warning: title is longer than 28" in w for w in _warnings(folder)), (
        _warnings(folder)
    )


def test_a_fact_is_either_stated_or_listed_as_unverified(folder: Path):
    line = _edit(folder, "unverified: [fee]\n", "")
    assert any("give fees, or list 'fee' under unverified" in error for error in _errors(folder)), _errors(folder)
    shutil.copy(ROOT / "procedures" / f"{SAMPLE}.yaml", folder / f"{SAMPLE}.yaml")
    line = _edit(folder, "unverified: [fee]", "unverified: [fee, weather]")
    assert any(f"{SAMPLE}.yaml:{line}: unverified.1:" in error for error in _errors(folder)), _errors(folder)


def test_a_valid_copy_loads_with_steps_and_checklist(folder: Path):
    catalogue, problems = load_catalogue(folder)
    guide = catalogue.guides[SAMPLE]
    assert problems == [] or all(problem.warning for problem in problems)
    assert len(guide.steps) >= 3 and guide.documents
    assert len(guide.version) == 6


def test_missing_field_is_reported_with_file_and_line(folder: Path):
    line = _edit(folder, "audience:\n", "audience_typo:\n")
    errors = _errors(folder)
    assert any(f"{SAMPLE}.yaml:{line}: audience_typo: Extra inputs are not permitted" in error for error in errors), (
        errors
    )
    assert any(": audience: Field required" in error for error in errors), errors
    assert SAMPLE not in load_catalogue(folder)[0].guides


def test_unknown_category_points_at_its_line(folder: Path):
    line = _edit(folder, "category: identity", "category: weather")
    errors = _errors(folder)
    assert len(errors) == 1
    assert f"{SAMPLE}.yaml:{line}: category: unknown category 'weather'" in errors[0]


def test_step_without_text(folder: Path):
    line = _edit(folder, '  - text:\n      vi: "Mở ứng dụng VNeID', '  - tip_only:\n      vi: "Mở ứng dụng VNeID')
    errors = _errors(folder)
    assert any(
        error.endswith(f"{SAMPLE}.yaml:{line}: steps.1.tip_only: Extra inputs are not permitted") for error in errors
    ), errors
    assert any(error.endswith(f"{SAMPLE}.yaml:{line}: steps.1.text: Field required") for error in errors), errors


def test_bad_url(folder: Path):
    line = _edit(folder, 'url: "https://vneid.gov.vn"\n  label', 'url: "vneid.gov.vn"\n  label')
    errors = _errors(folder)
    assert len(errors) == 1
    assert errors[0].endswith(
        f"{SAMPLE}.yaml:{line}: official_link.url: 'vneid.gov.vn' is not a web address starting with https://"
    )


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
    assert any("unknown category" in str(problem) for problem in check_all(settings, checkers()))
