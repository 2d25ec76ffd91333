"""Every message is translated in every shipped language; the template is current; catalogs compile."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import i18n
from bot.config import ROOT

LOCALES = ROOT / "bot" / "locales"
CATALOGS = sorted(LOCALES.glob("*/LC_MESSAGES/messages.po"))


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def test_vietnamese_english_and_thai_are_shipped():
    assert {path.parent.parent.name for path in CATALOGS} >= {"vi", "en", "th"}


@pytest.mark.parametrize("po", CATALOGS, ids=lambda path: path.parent.parent.name)
def test_every_message_is_translated(po: Path):
    catalog = _read(po, po.parent.parent.name)
    template = {message.id for message in _read(LOCALES / "messages.pot") if message.id}
    untranslated = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            untranslated.append(message.id)
    assert untranslated == []
    assert template <= {message.id for message in catalog if message.id}


@pytest.mark.parametrize("po", CATALOGS, ids=lambda path: path.parent.parent.name)
def test_catalog_compiles_and_keeps_placeholders(po: Path):
    catalog = _read(po, po.parent.parent.name)
    write_mo(io.BytesIO(), catalog)
    assert not list(catalog.check()), list(catalog.check())
    for message in catalog:
        if message.id and isinstance(message.id, str) and message.string:
            assert _placeholders(message.id) == _placeholders(message.string), message.id


def _placeholders(text: str) -> set[str]:
    import re

    return set(re.findall(r"\{[a-z_]+\}", text))


def test_template_is_not_stale(tmp_path: Path):
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-k",
            "gettext",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "-o",
            str(fresh),
            "bot",
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    extracted = {message.id for message in _read(fresh) if message.id}
    committed = {message.id for message in _read(LOCALES / "messages.pot") if message.id}
    assert extracted == committed, "run `make i18n-update` and translate the new messages"


def test_language_is_chosen_from_client_code_and_named_in_itself():
    shipped = i18n.catalogs()
    assert shipped.best_match("en-US") == "en"
    assert shipped.best_match("th") == "th"
    assert shipped.best_match("fr") == "vi"
    assert shipped.best_match(None) == "vi"
    assert shipped.display_name("vi") == "Tiếng Việt"
    assert shipped.display_name("th") == "ไทย"


def test_a_new_language_needs_only_a_catalog(tmp_path: Path):
    import shutil

    shutil.copytree(LOCALES, tmp_path / "locales")
    target = tmp_path / "locales" / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(LOCALES / "en" / "LC_MESSAGES" / "messages.po", target / "messages.po")
    catalogs = i18n.Catalogs(tmp_path / "locales", "vi")
    assert "fr" in catalogs.available and catalogs.best_match("fr-CA") == "fr"


def test_numbers_and_dates_follow_the_locale():
    from datetime import datetime

    moment = datetime(2023, 9, 30, 17, 30, tzinfo=UTC)  # 00:30 next day in Hanoi
    with i18n.use_locale("vi"):
        assert i18n.format_number(21217) == "21.217"
        assert (
            "1 thg 10, 2023" in i18n.format_date(moment)
            or "01/10/2023" in i18n.format_date(moment, "short")
            or "1/10/23" in i18n.format_date(moment, "short")
        )
    with i18n.use_locale("en"):
        assert i18n.format_number(21217) == "21,217"
        assert i18n.format_date(moment) == "Oct 1, 2023"
