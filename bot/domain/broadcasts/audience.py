"""Audiences written as text, for the command line: `unit:tn-ducxuan,lang:vi,entrants:demo`.

Terms of one kind are alternatives (`unit:a,unit:b`: either unit); terms of different kinds must all hold.
`everyone` (or `all`) alone is every citizen.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain.broadcasts.records import Audience, QuizFilter

TERMS = "everyone | unit:CODE | lang:CODE | entrants[:CONTEST] | registered[:CONTEST] | guide:ID"


class AudienceError(ValueError):
    pass


def parse(text: str, default_contest: str | None) -> Audience:
    audience = Audience()
    terms = [term.strip() for term in text.split(",") if term.strip()]
    if not terms:
        raise AudienceError(f"no audience given; use {TERMS}")
    for term in terms:
        key, _, value = term.partition(":")
        key = key.strip().lower()
        value = value.strip()
        if key in ("everyone", "all") and not value:
            if len(terms) > 1:
                raise AudienceError("'everyone' cannot be combined with other terms")
            return Audience()
        if key == "unit" and value:
            audience = replace(audience, units=(*audience.units, value))
        elif key in ("lang", "language") and value:
            audience = replace(audience, languages=(*audience.languages, value.lower()))
        elif key in ("entrants", "registered"):
            wanted = QuizFilter.entrants if key == "entrants" else QuizFilter.not_attempted
            contest = value or default_contest
            if contest is None:
                raise AudienceError(f"{key}: no contest given and none is open or finished yet")
            if audience.quiz is not None and (audience.quiz, audience.contest_id) != (wanted, contest):
                raise AudienceError("entrants and registered (not yet attempted) exclude each other; give one")
            audience = replace(audience, quiz=wanted, contest_id=contest)
        elif key == "guide" and value:
            if audience.guide_id not in (None, value):
                raise AudienceError("give one guide")
            audience = replace(audience, guide_id=value)
        else:
            raise AudienceError(f"{term!r} is not an audience term; use {TERMS}")
    return audience


def toggled(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    """A choice among values, with `value` added, or taken away when it was there."""
    return tuple(v for v in values if v != value) if value in values else (*values, value)


def describe(audience: Audience) -> str:
    """The audience in the command line's own words (logs, the audit log, `broadcast status`)."""
    if audience.everyone:
        return "everyone"
    terms = [f"unit:{code}" for code in audience.units] + [f"lang:{code}" for code in audience.languages]
    if audience.quiz is not None:
        terms.append(f"{'entrants' if audience.quiz is QuizFilter.entrants else 'registered'}:{audience.contest_id}")
    if audience.guide_id:
        terms.append(f"guide:{audience.guide_id}")
    return ",".join(terms)
