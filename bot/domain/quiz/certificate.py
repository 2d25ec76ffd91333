"""Certificate of participation as a PNG, drawn with Pillow.

Two shipped fonts (bot/assets/fonts, licences beside them): DejaVu Sans for Latin script with Vietnamese
diacritics, Noto Sans Thai for Thai. Pillow does not fall back from one font to another, so each line is
drawn in runs: Thai characters in the Thai font, everything else in DejaVu (a Thai certificate still
shows a Vietnamese name correctly). Thai writes no spaces between words, so a line too long for the page
is also broken between characters, never before a combining mark.
"""

from __future__ import annotations

import io
import unicodedata
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


_FONT_FILES = {  # (Thai, bold) -> file
    (False, False): "DejaVuSans.ttf",
    (False, True): "DejaVuSans-Bold.ttf",
    (True, False): "NotoSansThai-Regular.ttf",
    (True, True): "NotoSansThai-Bold.ttf",
}


@lru_cache(maxsize=32)
def _font(size: int, bold: bool = False, thai: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / _FONT_FILES[thai, bold]), size)


def _is_thai(character: str) -> bool:
    return "\u0e00" <= character <= "\u0e7f"


def _runs(text: str) -> list[tuple[str, bool]]:
    """Split text into (run, is Thai) pieces; spaces stay with the run they are in."""
    runs: list[tuple[str, bool]] = []
    for character in text:
        thai = _is_thai(character) or (character == " " and bool(runs) and runs[-1][1])
        if runs and runs[-1][1] == thai:
            runs[-1] = (runs[-1][0] + character, thai)
        else:
            runs.append((character, thai))
    return runs


class _Writer:
    """Measures and draws text in one size and weight, switching fonts by script."""

    def __init__(self, draw: ImageDraw.ImageDraw, size: int, bold: bool = False) -> None:
        self.draw, self.size = draw, size
        self._fonts = {False: _font(size, bold), True: _font(size, bold, thai=True)}

    def width(self, text: str) -> float:
        return sum(self.draw.textlength(run, font=self._fonts[thai]) for run, thai in _runs(text))

    def write(self, x: float, y: float, text: str, colour: tuple[int, int, int]) -> None:
        baseline = y + self._fonts[False].getmetrics()[0]  # both scripts sit on the Latin font's baseline
        for run, thai in _runs(text):
            self.draw.text((x, baseline), run, font=self._fonts[thai], fill=colour, anchor="ls")
            x += self.draw.textlength(run, font=self._fonts[thai])


def _wrap(writer: _Writer, text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if writer.width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while writer.width(current) > width:  # one "word" wider than the page: Thai, or a very long name
            cut = _longest_fit(writer, current, width)
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines


def _longest_fit(writer: _Writer, text: str, width: int) -> int:
    cut = 1
    for end in range(2, len(text)):
        if unicodedata.combining(text[end]) or unicodedata.category(text[end]) == "Mn":
            continue  # a mark belongs to the character before it
        if writer.width(text[:end]) > width:
            break
        cut = end
    return cut


def render(text: CertificateText) -> bytes:
    image = Image.new("RGB", SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    draw.rectangle((30, 30, width - 30, height - 30), outline=INK, width=6)
    draw.rectangle((52, 52, width - 52, height - 52), outline=ACCENT, width=2)
    y = 200
    blocks = [
        (text.heading.upper(), _Writer(draw, 64, bold=True), ACCENT, 40),
        (text.awarded_to, _Writer(draw, 34), INK, 30),
        (text.name, _Writer(draw, 72, bold=True), INK, 50),
        (text.contest, _Writer(draw, 38), INK, 50),
        (text.score, _Writer(draw, 46, bold=True), ACCENT, 60),
        (text.date, _Writer(draw, 32), INK, 0),
    ]
    for content, writer, colour, gap in blocks:
        for line in _wrap(writer, content, width - 260):
            writer.write((width - writer.width(line)) / 2, y, line, colour)
            y += int(writer.size * 1.3)
        y += gap
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # fast: the image is mostly flat colour
    return buffer.getvalue()
