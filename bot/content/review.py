"""Review records: who checked a piece of content, when, against which documents, and what that implies.

Guides, question banks, questions and contests carry a `review`; every source carries the date it was
last read (`checked`, and optionally when it was `published`). A review date is set only by a real check.
`content check` warns, with the file and line, when a review is older than CONTENT_REVIEW_MAX_AGE_DAYS,
when something was never checked, and when a source was read before a legal document that replaced it
came into force; a date in the future is an error, since no check can have happened then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.content.problems import Problem, display_path
from bot.content.yaml_lines import Location, line_of

DEFAULT_MAX_AGE_DAYS = 180


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Review(_Strict):
    """One real check of the content against its documents."""

    # A role ("provincial DX office editor", "contest organizer"), never a person's name.
    by: Annotated[str, Field(min_length=3, max_length=80)]
    # The day the facts were compared with the documents below; empty means never checked.
    checked: date | None = None
    against: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_what_was_checked(self) -> Review:
        if self.checked is not None and not self.against:
            raise ValueError("a review with a date must name the document(s) it was checked against")
        return self


class LegalDocument(_Strict):
    """A legal document with the day it came into force (and what it replaced), for the staleness check."""

    name: Annotated[str, Field(min_length=1, max_length=300)]
    in_force: date
    replaces: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(default_factory=list)


def legal_name(entry: str | LegalDocument) -> str:
    return entry if isinstance(entry, str) else entry.name


class Dated(_Strict):
    """Fields every source shares: when it was published and when it was last read."""

    published: date | None = None
    checked: date | None = None

    @model_validator(mode="after")
    def _read_after_publication(self) -> Dated:
        if self.published and self.checked and self.checked < self.published:
            raise ValueError("checked is before published: a page cannot be read before it exists")
        return self


def review_problems(
    path: Path,
    lines: dict[Location, int],
    location: Location,
    review: Review | None,
    today: date,
    max_age_days: int,
    what: str,
) -> list[Problem]:
    """Warnings for a missing, never-done or old review; an error for a date in the future."""
    file = display_path(path)
    if review is None:
        return [
            Problem(
                file,
                line_of(lines, location) if location else 1,
                f"{what}: no review record (review: {{by: <role>, checked: <date>, against: [<documents>]}})",
                warning=True,
            )
        ]
    line = line_of(lines, (*location, "review", "checked"))
    if review.checked is None:
        return [Problem(file, line, f"{what}: never checked against its sources (review.checked is empty)", True)]
    if review.checked > today:
        return [Problem(file, line, f"{what}: review date {review.checked} is in the future")]
    age = (today - review.checked).days
    if age > max_age_days:
        return [
            Problem(
                file,
                line,
                f"{what}: last reviewed {review.checked}, {age} days ago (more than {max_age_days}, "
                "CONTENT_REVIEW_MAX_AGE_DAYS): check the facts again and record the new date",
                warning=True,
            )
        ]
    return []


def source_problems(
    path: Path,
    lines: dict[Location, int],
    location: Location,
    source: Dated,
    title: str,
    today: date,
    legal_basis: Sequence[str | LegalDocument] = (),
) -> list[Problem]:
    """A source never read, read in the future, or read before a document in `legal_basis` took effect."""
    file = display_path(path)
    line = line_of(lines, (*location, "checked"))
    if source.checked is None:
        return [Problem(file, line_of(lines, location), f"source {title!r} was never checked (no checked date)", True)]
    if source.checked > today:
        return [Problem(file, line, f"source {title!r}: checked date {source.checked} is in the future")]
    found = []
    for document in legal_basis:
        if isinstance(document, LegalDocument) and source.checked < document.in_force <= today:
            replaced = f" (it replaced {', '.join(document.replaces)})" if document.replaces else ""
            found.append(
                Problem(
                    file,
                    line,
                    f"source {title!r} was checked on {source.checked}, before {document.name} came into force "
                    f"on {document.in_force}{replaced}: check it again",
                    warning=True,
                )
            )
    return found
