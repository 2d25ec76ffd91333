"""How long a button label may be: a phone about 360 px wide shows this many characters on a full-width button
before it cuts the label, so labels are short by design and the full text stays in the message."""

from __future__ import annotations

import unicodedata

# Same figure as the content's short labels (bot.domain.guides.schema.MAX_LABEL).
MAX_LABEL = 28
# Two buttons side by side: each gets half the row.
HALF_ROW = 13


def width(label: str) -> int:
    """Characters as a person sees them: combining marks (Thai vowels and tones above or below a letter,
    decomposed Vietnamese accents), variation selectors and joiners take no room of their own."""
    return sum(
        1
        for char in label
        if unicodedata.category(char) not in ("Mn", "Me", "Cf") and not 0xFE00 <= ord(char) <= 0xFE0F
    )


def text_of(label: str) -> str:
    """The label without its leading icon ("📋 Khai sinh" → "Khai sinh"): the limit is about words."""
    head, space, rest = label.partition(" ")
    if (
        space
        and head
        and all(
            unicodedata.category(char) in ("So", "Sk", "Mn", "Cf") or 0xFE00 <= ord(char) <= 0xFE0F for char in head
        )
    ):
        return rest
    return label


def fits(label: str, limit: int = MAX_LABEL) -> bool:
    return width(text_of(label)) <= limit
