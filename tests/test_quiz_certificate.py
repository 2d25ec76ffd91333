"""The certificate image: Vietnamese and Thai script drawn with fonts that have them, lines kept on the page."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from bot.domain.quiz.certificate import SIZE, CertificateText, _wrap, _Writer, render


def _certificate(heading: str, name: str = "Nguyễn Thị Hồng Nhung") -> CertificateText:
    return CertificateText(
        heading=heading,
        awarded_to="มอบให้แก่",
        name=name,
        contest="Tìm hiểu về chuyển đổi số",
        score="คะแนน: 18/20",
        date="30 กันยายน 2566",
    )


def test_thai_letters_are_drawn_as_themselves():
    # A font without Thai draws every Thai letter as the same empty box, so these two would be equal.
    first = render(_certificate("ใบประกาศนียบัตร ก"))
    second = render(_certificate("ใบประกาศนียบัตร ข"))
    assert first != second
    image = Image.open(io.BytesIO(first))
    assert image.size == SIZE and image.format == "PNG"


def test_vietnamese_diacritics_are_drawn_as_themselves():
    assert render(_certificate("Chứng nhận", name="Nguyễn Văn An")) != render(
        _certificate("Chứng nhận", name="Nguyen Van An")
    )


def test_long_lines_wrap_inside_the_page_in_either_script():
    writer = _Writer(ImageDraw.Draw(Image.new("RGB", SIZE)), 38)
    thai = "การแข่งขันเรียนรู้เกี่ยวกับการเปลี่ยนผ่านสู่ดิจิทัลของจังหวัดบั๊กกั๋นซึ่งมีชื่อยาวมากจนต้องตัดบรรทัด" * 2
    vietnamese = "Cuộc thi trực tuyến Tìm hiểu về chuyển đổi số tỉnh Bắc Kạn năm 2023 dành cho mọi người dân " * 2
    for text in (thai, vietnamese.strip()):
        lines = _wrap(writer, text, 600)
        assert len(lines) > 1
        assert all(writer.width(line) <= 600 for line in lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    # A Thai break never leaves a vowel or tone mark at the start of a line.
    assert all(
        not ("\u0e31" <= line[0] <= "\u0e3a" or "\u0e47" <= line[0] <= "\u0e4e") for line in _wrap(writer, thai, 600)
    )
