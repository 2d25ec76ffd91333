"""What a guide file may contain. Vietnamese is required; English and Thai fall back to it."""

from __future__ import annotations

import hashlib
import json
import re
from functools import cached_property
from typing import Annotated, Literal, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from bot.content.review import Dated, LegalDocument, Review, legal_name

LANGUAGES = ("vi", "en", "th")
MAX_TEXT = 700
# A button shows about this many characters on a phone without cutting; labels must fit.
MAX_LABEL = 28
GUIDE_ID = r"^[a-z0-9][a-z0-9-]{0,31}$"
# What a guide could not verify; citizens see each as a question to ask at the office.
Unverified = Literal["fee", "processing_time", "deadline", "documents", "where_to_file", "benefits"]
UNVERIFIED: tuple[str, ...] = get_args(Unverified)


def _web_address(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or " " in value:
        raise ValueError(f"{value!r} is not a web address starting with https://")
    return value


Url = Annotated[str, AfterValidator(_web_address)]
Line = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Short = Annotated[str, Field(min_length=1, max_length=MAX_LABEL)]


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


class Label(_Strict):
    """A short name for buttons, at most 28 characters in every language, so a button never cuts a word."""

    vi: Short
    en: Short | None = None
    th: Short | None = None

    def get(self, language: str | None) -> str:
        return getattr(self, language or "vi", None) or self.vi


class Keywords(_Strict):
    vi: list[Line] = Field(min_length=1)
    en: list[Line] = Field(default_factory=list)
    th: list[Line] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.vi, *self.en, *self.th]


class LinkButton(_Strict):
    url: Url
    label: Text


class Source(Dated):
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
    label: Label | None = None

    def button(self, language: str | None) -> str:
        return (self.label or self.title).get(language)


class CategoriesFile(_Strict):
    categories: list[Category] = Field(min_length=1)


class Guide(_Strict):
    id: Annotated[str, Field(pattern=GUIDE_ID)]
    code: Annotated[str, Field(min_length=1, max_length=32)] | None
    category: str
    title: Text
    label: Label | None = None
    audience: Text
    keywords: Keywords
    documents: list[Text] = Field(min_length=1, max_length=12)
    fees: Text | None = None
    processing_time: Text | None = None
    deadline: Text | None = None
    # Facts no source confirms; shown as one line: "Ask at the office: fee? processing time?"
    unverified: list[Unverified] = Field(default_factory=list)
    good_to_know: Text | None = None
    legal_basis: list[Line | LegalDocument]
    sources: list[Source] = Field(min_length=1)
    review: Review
    official_link: LinkButton
    # For editors only: what is unverified and why, where people get stuck. Citizens never see it.
    editor_notes: str | None = None
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

    @model_validator(mode="after")
    def _every_fact_stated_or_marked(self) -> Guide:
        for field, key in (("fees", "fee"), ("processing_time", "processing_time")):
            if getattr(self, field) is None and key not in self.unverified:
                raise ValueError(f"give {field}, or list {key!r} under unverified when no source states it")
        if len(set(self.unverified)) != len(self.unverified):
            raise ValueError("unverified lists an item twice")
        return self

    def button(self, language: str | None) -> str:
        return (self.label or self.title).get(language)

    @property
    def legal_names(self) -> list[str]:
        return [legal_name(entry) for entry in self.legal_basis]

    @cached_property
    def version(self) -> str:
        """Short fingerprint of what button payloads point into: the checklist and the steps."""
        content = json.dumps(
            [[d.vi for d in self.documents], [s.model_dump(mode="json") for s in self.steps]],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha1(content.encode("utf-8")).hexdigest()[:6]


def is_guide_id(value: str) -> bool:
    return re.match(GUIDE_ID, value) is not None
