"""Loading the procedures folder: every guide validated, every problem with its file and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from bot.content.problems import Problem, display_path
from bot.content.review import DEFAULT_MAX_AGE_DAYS, review_problems, source_problems
from bot.content.yaml_lines import Location, line_of, read, validate
from bot.domain.guides.schema import LANGUAGES, MAX_LABEL, CategoriesFile, Category, Guide, Text

CATEGORIES_FILE = "categories.yaml"


@dataclass(frozen=True)
class Catalogue:
    categories: tuple[Category, ...] = ()
    guides: dict[str, Guide] = field(default_factory=dict)

    def in_category(self, category_id: str) -> list[Guide]:
        return [guide for guide in self.guides.values() if guide.category == category_id]

    def category(self, category_id: str) -> Category | None:
        return next((category for category in self.categories if category.id == category_id), None)

    @cached_property
    def index(self) -> Any:
        from bot.domain.guides.search import SearchIndex

        return SearchIndex(list(self.guides.values()))


def load_catalogue(
    folder: Path, today: date | None = None, review_max_age_days: int = DEFAULT_MAX_AGE_DAYS
) -> tuple[Catalogue, list[Problem]]:
    """All valid guides, and the problems found (errors; warnings for translations and reviews)."""
    today = today or date.today()
    problems: list[Problem] = []
    if not folder.is_dir():
        return Catalogue(), [Problem(display_path(folder), 1, "procedures folder not found")]
    categories = _load_categories(folder / CATEGORIES_FILE, problems)
    known = {category.id for category in categories}
    guides: dict[str, Guide] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == CATEGORIES_FILE:
            continue
        guide = _load_guide(path, known, problems, today, review_max_age_days)
        if guide is not None:
            guides[guide.id] = guide
    for category in categories:
        if not any(guide.category == category.id for guide in guides.values()):
            problems.append(
                Problem(
                    display_path(folder / CATEGORIES_FILE), 1, f"category {category.id!r} has no guide", warning=True
                )
            )
    return Catalogue(tuple(categories), guides), sorted(problems)


def _load_categories(path: Path, problems: list[Problem]) -> list[Category]:
    if not path.exists():
        problems.append(Problem(display_path(path), 1, "file not found: every guide needs a category"))
        return []
    data, lines, found = read(path)
    problems.extend(found)
    if found:
        return []
    model, found = validate(CategoriesFile, path, data, lines)
    problems.extend(found)
    if model is None:
        return []
    seen: set[str] = set()
    for index, category in enumerate(model.categories):  # type: ignore[attr-defined]
        if category.id in seen:
            problems.append(
                Problem(
                    display_path(path),
                    line_of(lines, ("categories", index)),
                    f"category {category.id!r} is listed twice",
                )
            )
        seen.add(category.id)
    for index, category in enumerate(model.categories):  # type: ignore[attr-defined]
        problems.extend(_missing_label(path, lines, ("categories", index), category.title, category.label))
    problems.extend(_missing_translations(path, data, lines))
    return list(model.categories)  # type: ignore[attr-defined]


def _load_guide(
    path: Path, categories: set[str], problems: list[Problem], today: date, max_age_days: int
) -> Guide | None:
    data, lines, found = read(path)
    problems.extend(found)
    if found:
        return None
    if not isinstance(data, dict):
        problems.append(Problem(display_path(path), 1, "a guide must be a map of fields (id, title, steps…)"))
        return None
    guide, found = validate(Guide, path, data, lines, context={"categories": categories})
    problems.extend(found)
    if not isinstance(guide, Guide):
        return None
    if guide.id != path.stem:
        problems.append(
            Problem(
                display_path(path), line_of(lines, ("id",)), f"id {guide.id!r} must equal the file name {path.stem!r}"
            )
        )
        return None
    problems.extend(_missing_translations(path, data, lines))
    problems.extend(_missing_label(path, lines, (), guide.title, guide.label))
    problems.extend(review_problems(path, lines, (), guide.review, today, max_age_days, f"guide {guide.id!r}"))
    for index, source in enumerate(guide.sources):
        problems.extend(
            source_problems(path, lines, ("sources", index), source, source.title, today, guide.legal_basis)
        )
    return guide


def _missing_label(
    path: Path, lines: dict[Location, int], location: Location, title: Text, label: object
) -> list[Problem]:
    """A title too long for a button needs a short label; without one the button shows the title cut at a word."""
    if label is not None or all(len(text) <= MAX_LABEL for text in title.all()):
        return []
    return [
        Problem(
            display_path(path),
            line_of(lines, (*location, "title")),
            f"{'.'.join(map(str, location)) + '.' if location else ''}title is longer than {MAX_LABEL} characters "
            "and has no label: buttons show it shortened",
            warning=True,
        )
    ]


def _missing_translations(path: Path, data: Any, lines: dict[Location, int], location: Location = ()) -> list[Problem]:
    """Every {vi: …} text without all the other languages is a warning: the Vietnamese is shown instead."""
    found: list[Problem] = []
    if isinstance(data, dict):
        if "vi" in data:
            missing = [code for code in LANGUAGES if code != "vi" and not data.get(code)]
            if missing:
                where = ".".join(str(part) for part in location) or "file"
                found.append(
                    Problem(
                        display_path(path),
                        line_of(lines, location),
                        f"{where}: no {', '.join(missing)} translation; Vietnamese is shown instead",
                        warning=True,
                    )
                )
            return found
        for key, value in data.items():
            found.extend(_missing_translations(path, value, lines, (*location, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_missing_translations(path, value, lines, (*location, index)))
    return found
