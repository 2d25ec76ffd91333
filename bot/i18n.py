"""Translations with Babel's gettext catalogs, chosen per update through a context variable.

Every folder `bot/locales/<code>/LC_MESSAGES/messages.po` is a language: adding
one needs no code. Catalogs compile in memory when their .mo is missing or
older than the .po, so a stale build can never show old text.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

DOMAIN = "messages"

_current_locale: ContextVar[str | None] = ContextVar("current_locale", default=None)


class Catalogs:
    def __init__(self, path: Path, default_locale: str = "vi", timezone: str = "Asia/Ho_Chi_Minh") -> None:
        self.path = Path(path)
        self.default_locale = default_locale
        self.timezone = ZoneInfo(timezone)
        self._translations: dict[str, NullTranslations] = {}
        for po_file in sorted(self.path.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            code = po_file.parent.parent.name
            self._translations[code] = _load(po_file)
        if default_locale not in self._translations:
            raise ValueError(f"default locale {default_locale!r} has no catalog in {self.path}")

    @property
    def available(self) -> list[str]:
        """Default language first, then the others in a stable order."""
        others = sorted(code for code in self._translations if code != self.default_locale)
        return [self.default_locale, *others]

    def translations(self, code: str | None) -> NullTranslations:
        return self._translations.get(code or self.default_locale) or self._translations[self.default_locale]

    def best_match(self, language_code: str | None) -> str:
        """Map a client's language (e.g. 'en-US') to a shipped catalog, else the default."""
        if language_code:
            base = language_code.replace("_", "-").split("-")[0].lower()
            if base in self._translations:
                return base
        return self.default_locale

    def display_name(self, code: str) -> str:
        try:
            name = Locale.parse(code).get_display_name(code) or code
        except (UnknownLocaleError, ValueError):
            return code
        return name[:1].upper() + name[1:]


def _load(po_file: Path) -> NullTranslations:
    mo_file = po_file.with_suffix(".mo")
    if mo_file.exists() and mo_file.stat().st_mtime >= po_file.stat().st_mtime:
        with mo_file.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    with po_file.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


_catalogs: Catalogs | None = None


def install(catalogs: Catalogs) -> None:
    global _catalogs  # noqa: PLW0603 -- one catalogue set per process, installed at start-up
    _catalogs = catalogs


def catalogs() -> Catalogs:
    if _catalogs is None:
        raise RuntimeError("translations are not installed; call bot.i18n.install() at start-up")
    return _catalogs


def current_locale() -> str:
    return _current_locale.get() or catalogs().default_locale


def set_locale(code: str | None) -> None:
    _current_locale.set(code)


@contextmanager
def use_locale(code: str | None) -> Iterator[None]:
    token = _current_locale.set(code)
    try:
        yield
    finally:
        _current_locale.reset(token)


def gettext(message: str) -> str:
    return catalogs().translations(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogs().translations(current_locale()).ngettext(singular, plural, n)


_ = gettext


def all_translations(message: str) -> set[str]:
    """A message in every shipped language (to recognise reply-keyboard labels)."""
    shipped = catalogs()
    return {shipped.translations(code).gettext(message) for code in shipped.available}


def format_number(value: float | int) -> str:
    return format_decimal(value, locale=current_locale())


def format_date(value: date | datetime, format: str = "medium") -> str:
    if isinstance(value, datetime):
        value = value.astimezone(catalogs().timezone)
    return _babel_format_date(value, format=format, locale=current_locale())


def format_datetime(value: datetime, format: str = "medium") -> str:
    return _babel_format_datetime(value, format=format, tzinfo=catalogs().timezone, locale=current_locale())
