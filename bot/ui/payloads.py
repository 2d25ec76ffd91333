"""Button payloads of our own: a prefix and typed fields, packed into at most 64 bytes.

A payload is a frozen dataclass declared with its prefix:

    @dataclass(frozen=True, slots=True)
    class AnswerCb(Payload, prefix="qa"):
        attempt: int
        position: int
        option: int

`AnswerCb(attempt=7, position=2, option=1).pack()` is "qa:7:2:1"; `Payload.unpack(text)` gives the payload
back or raises PayloadError. Fields may be `int` (whole numbers from 0 to INT_MAX: a forged "60 digits" is refused
when parsed, before it reaches a database), `str` (no ":"), `bool` ("1"/"0") or a `StrEnum`. Anything a person
could have forged or kept from an older version — a wrong prefix, a wrong number of fields, a value out of range,
an unknown enum value — is a PayloadError, which the handlers answer as a stale button.

The wire format is the one aiogram's CallbackData used before (prefix and values joined by ":"), so buttons sent
earlier still work. It is written here rather than taken from aiogram so that screens, which build payloads, stay
free of any messenger library: a Zalo query button or a web chat button carries the same string.
"""

from __future__ import annotations

import typing
from dataclasses import fields
from enum import StrEnum
from typing import Any, ClassVar, Self

SEPARATOR = ":"
MAX_BYTES = 64  # Telegram's limit for callback_data, in UTF-8 bytes
INT_MAX = 2**31 - 1  # fits every integer column the payloads name (ids, positions, pages)
_INT_DIGITS = len(str(INT_MAX))


class PayloadError(ValueError):
    """The text is not a payload of this bot (forged, stale or from an older version)."""


class Payload:
    """Base of every button payload; subclasses are frozen dataclasses declared with `prefix=`."""

    prefix: ClassVar[str]
    _by_prefix: ClassVar[dict[str, type[Payload]]] = {}
    _field_types: ClassVar[tuple[tuple[str, type], ...]]

    def __init_subclass__(cls, prefix: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is None:
            # `@dataclass(slots=True)` makes the class anew, without the keyword: keep the prefix it had.
            prefix = cls.__dict__.get("prefix")
        if not prefix or SEPARATOR in prefix:
            raise ValueError(f"payload prefix {prefix!r} must be non-empty and without {SEPARATOR!r}")
        known = Payload._by_prefix.get(prefix)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(f"payload prefix {prefix!r} is used by {known.__qualname__} already")
        cls.prefix = prefix
        Payload._by_prefix[prefix] = cls

    @classmethod
    def _types(cls) -> tuple[tuple[str, type], ...]:
        # Resolved on first use: the dataclass decorator runs after __init_subclass__.
        cached = cls.__dict__.get("_field_types")
        if cached is None:
            hints = typing.get_type_hints(cls)
            cached = tuple((item.name, hints[item.name]) for item in fields(cls))  # type: ignore[arg-type]  # subclasses are dataclasses
            for name, kind in cached:
                if not (kind in (int, str, bool) or (isinstance(kind, type) and issubclass(kind, StrEnum))):
                    raise TypeError(f"{cls.__qualname__}.{name}: payload fields are int, str, bool or StrEnum")
            cls._field_types = cached
        return cached

    def pack(self) -> str:
        parts = [self.prefix]
        for name, kind in self._types():
            parts.append(_encode(getattr(self, name), kind, f"{type(self).__qualname__}.{name}"))
        packed = SEPARATOR.join(parts)
        if len(packed.encode()) > MAX_BYTES:
            raise ValueError(f"{packed!r} is longer than {MAX_BYTES} bytes")
        return packed

    @classmethod
    def unpack(cls, data: str) -> Self:
        """The payload of this class in `data`; PayloadError when it is not one."""
        prefix, separator, rest = data.partition(SEPARATOR)
        if prefix != cls.prefix:
            raise PayloadError(f"not a {cls.__qualname__}: {data[:80]!r}")
        types = cls._types()
        parts = rest.split(SEPARATOR) if separator else []
        if len(parts) != len(types):
            raise PayloadError(f"{cls.__qualname__} takes {len(types)} value(s): {data[:80]!r}")
        values = {name: _decode(part, kind) for (name, kind), part in zip(types, parts, strict=True)}
        return cls(**values)

    @staticmethod
    def parse(data: str) -> Payload:
        """Whatever payload `data` is, by its prefix; PayloadError when none."""
        cls = Payload._by_prefix.get(data.partition(SEPARATOR)[0])
        if cls is None:
            raise PayloadError(f"unknown payload: {data[:80]!r}")
        return cls.unpack(data)


def _encode(value: object, kind: type, where: str) -> str:
    if kind is bool:
        return "1" if value else "0"
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= INT_MAX:
            raise ValueError(f"{where}: {value!r} is not a whole number from 0 to {INT_MAX}")
        return str(value)
    text = value.value if isinstance(value, StrEnum) else str(value)
    if SEPARATOR in text:
        raise ValueError(f"{where}: {text!r} contains {SEPARATOR!r}")
    return text


def _decode(text: str, kind: type) -> Any:
    if kind is bool:
        if text not in ("0", "1"):
            raise PayloadError(f"not a yes/no value: {text[:20]!r}")
        return text == "1"
    if kind is int:
        if not text.isascii() or not text.isdigit() or len(text) > _INT_DIGITS or int(text) > INT_MAX:
            raise PayloadError(f"not a whole number from 0 to {INT_MAX}: {text[:20]!r}")
        return int(text)
    if kind is str:
        return text
    try:
        return kind(text)
    except ValueError:
        raise PayloadError(f"not a {kind.__name__}: {text[:20]!r}") from None
