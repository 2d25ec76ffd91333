"""Certificate of participation as a PNG, drawn with Pillow.

The shipped DejaVu Sans (bot/assets/fonts, Bitstream Vera licence) covers Vietnamese diacritics but not
Thai script, so callers pass texts in Vietnamese or English only.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parent.parent.parent / "assets" / "fonts"
SIZE = (1600, 1131)  # A4 landscape proportions
INK = (20, 45, 90)
ACCENT = (196, 30, 58)
PAPER = (255, 252, 243)


@dataclass(frozen=True)
class CertificateText:
    heading: str
    awarded_to: str
    name: str
    contest: str
    score: str
    date: str


@lru_cache(maxsize=16)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def render(text: CertificateText) -> bytes:
    image = Image.new("RGB", SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    draw.rectangle((30, 30, width - 30, height - 30), outline=INK, width=6)
    draw.rectangle((52, 52, width - 52, height - 52), outline=ACCENT, width=2)
    y = 200
    blocks = [
        (text.heading.upper(), _font(64, bold=True), ACCENT, 40),
        (text.awarded_to, _font(34), INK, 30),
        (text.name, _font(72, bold=True), INK, 50),
        (text.contest, _font(38), INK, 50),
        (text.score, _font(46, bold=True), ACCENT, 60),
        (text.date, _font(32), INK, 0),
    ]
    for content, font, colour, gap in blocks:
        for line in _wrap(draw, content, font, width - 260):
            line_width = draw.textlength(line, font=font)
            draw.text(((width - line_width) / 2, y), line, font=font, fill=colour)
            y += int(font.size * 1.3)
        y += gap
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # fast: the image is mostly flat colour
    return buffer.getvalue()
