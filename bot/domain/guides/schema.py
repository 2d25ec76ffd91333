"""What a guide file may contain. Vietnamese is required; English and Thai fall back to it."""
from __future__ import annotations

import hashlib
import json
import re
from functools import cached_property
from datetime import date
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

LANGUAGES = ("vi", "en", "th")
MAX_TEXT = 700
GUIDE_ID = r"^[a-z0-9][a-z0-9-]{0,31}$"


def _web_address(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or " " in value:
        raise ValueError(f"{value!r} is not a web address starting with https://")
    return value


Url = Annotated[str, AfterValidator(_web_address)]
Line = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Text(_Strict):
    """One text in every language; a missing translation shows the Vietnamese one."""

    vi: Line
    en: Line | None = None
    th: Line | None = None

    def get(self, language: str | None) -> str:
        return getattr(self, language or "vi", None) or self.vi

    def all(self) -> list[str]:
        return [text for text in (self.vi, self.en, self.th) if text]


class Keywords(_Strict):
    vi: list[Line] = Field(min_length=1)
    en: list[Line] = Field(default_factory=list)
    th: list[Line] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.vi, *self.en, *self.th]


class LinkButton(_Strict):
    url: Url
    label: Text


class Source(_Strict):
    title: Line
    url: Url


class Step(_Strict):
    text: Text
    tip: Text | None = None
    # A picture on the web (a screenshot of the screen to look for), linked under the step.
    image: Url | None = None
    link: LinkButton | None = None


class Category(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,15}$")]
    icon: Annotated[str, Field(min_length=1, max_length=8)]
    title: Text


class CategoriesFile(_Strict):
    categories: list[Category] = Field(min_length=1)


class Guide(_Strict):
    id: Annotated[str, Field(pattern=GUIDE_ID)]
    code: Annotated[str, Field(min_length=1, max_length=32)] | None
    category: str
    title: Text
    audience: Text
    keywords: Keywords
    documents: list[Text] = Field(min_length=1, max_length=12)
    fees: Text
    processing_time: Text
    legal_basis: list[Line]
    sources: list[Source] = Field(min_length=1)
    last_checked: date
    official_link: LinkButton
    notes: Text | None = None
    steps: list[Step] = Field(min_length=3, max_length=10)

    @field_validator("code", mode="before")
    @classmethod
    def _code_is_text(cls, value: object) -> object:
        # An unquoted number in YAML is still a procedure code.
        return str(value) if isinstance(value, int) else value

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("categories")
        if known is not None and value not in known:
            raise ValueError(f"unknown category {value!r}; categories.yaml has {', '.join(sorted(known))}")
        return value

    @cached_property
    def version(self) -> str:
        """Short fingerprint of what button payloads point into: the checklist and the steps."""
        content = json.dumps([[d.vi for d in self.documents], [s.model_dump(mode="json") for s in self.steps]],
                             ensure_ascii=False, sort_keys=True)
        return hashlib.sha1(content.encode("utf-8")).hexdigest()[:6]


def is_guide_id(value: str) -> bool:
    return re.match(GUIDE_ID, value) is not None
