"""Button payloads: what is packed comes back unchanged, fits Telegram's 64 bytes, and anything else is refused."""

from __future__ import annotations

import typing
from dataclasses import dataclass, fields
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.ui.callbacks
import bot.ui.callbacks_guides
import bot.ui.callbacks_quiz  # noqa: F401
from bot.ui.callbacks import UnitChooseCb, UnitLevelCb, UnitPurpose
from bot.ui.callbacks_quiz import AnswerCb, QuizAction, QuizCb, QuizForgetCb
from bot.ui.payloads import INT_MAX, MAX_BYTES, Payload, PayloadError

PAYLOADS = sorted(Payload._by_prefix.values(), key=lambda cls: cls.prefix)


def _values(cls: type[Payload]) -> st.SearchStrategy[dict[str, object]]:
    hints = typing.get_type_hints(cls)
    strategies: dict[str, st.SearchStrategy[object]] = {}
    for item in fields(cls):  # type: ignore[arg-type]
        kind = hints[item.name]
        if kind is int:
            strategies[item.name] = st.integers(0, INT_MAX)
        elif kind is bool:
            strategies[item.name] = st.booleans()
        elif kind is str:
            letters = st.characters(blacklist_characters=":", blacklist_categories=("Cs",))
            strategies[item.name] = st.text(letters, max_size=20)
        else:
            strategies[item.name] = st.sampled_from(list(kind))
    return st.fixed_dictionaries(strategies)


def test_every_screen_payload_is_known():
    known = {
        "m",
        "lang",
        "uo",
        "ul",
        "uc",
        "gk",
        "go",
        "gn",
        "gu",
        "gs",
        "gc",
        "gf",
        "qz",
        "qe",
        "qg",
        "qf",
        "qa",
        "qn",
    }
    assert known <= {cls.prefix for cls in PAYLOADS}


@pytest.mark.parametrize("cls", PAYLOADS, ids=lambda cls: cls.__qualname__)
@given(data=st.data())
def test_what_is_packed_comes_back(cls: type[Payload], data: st.DataObject) -> None:
    payload = cls(**data.draw(_values(cls)))
    try:
        packed = payload.pack()
    except ValueError as error:  # only ever because it would not fit
        assert "longer than" in str(error)
        return
    assert len(packed.encode()) <= MAX_BYTES
    assert cls.unpack(packed) == payload
    assert Payload.parse(packed) == payload


@given(st.text(max_size=80))
def test_any_text_parses_or_is_refused_as_stale(text: str) -> None:
    try:
        payload = Payload.parse(text)
    except PayloadError:
        return
    assert payload.pack() == text  # accepted only when it is exactly what we would have sent


@pytest.mark.parametrize(
    "forged",
    [
        "qa:" + "9" * 60 + ":0:3",  # a number no column holds
        "qa:2147483648:0:0",  # one past the largest
        "qa:-1:0:0",
        "qa:1:2",  # a field short
        "qa:1:2:3:4",  # a field too many
        "qa:1:+2:3",
        "qa:1:２:3",  # a digit, but not an ASCII one
        "qz:zz",  # not an action
        "qf:1:yes",  # not a yes/no
        "qu:code:1",  # the old unit picker's, no longer sent
        "nope:1",
        "",
    ],
)
def test_forged_data_is_refused(forged: str) -> None:
    with pytest.raises(PayloadError):
        Payload.parse(forged)


def test_packing_refuses_what_would_not_survive():
    with pytest.raises(ValueError, match="not a whole number"):
        AnswerCb(attempt=INT_MAX + 1, position=0, option=0).pack()
    with pytest.raises(ValueError, match="contains"):
        UnitChooseCb(purpose=UnitPurpose.help, code="a:b").pack()
    with pytest.raises(ValueError, match="longer than 64 bytes"):
        UnitChooseCb(purpose=UnitPurpose.help, code="đ" * 40).pack()  # 80 bytes in UTF-8


def test_enums_and_booleans_travel_as_their_values():
    assert QuizCb(action=QuizAction.rules).pack() == "qz:r"
    assert QuizForgetCb(consent=7, confirm=True).pack() == "qf:7:1"
    assert QuizForgetCb.unpack("qf:7:0") == QuizForgetCb(consent=7, confirm=False)
    assert UnitLevelCb(purpose=UnitPurpose.help, parent="tn").pack() == "ul:h:tn::0"
    assert UnitLevelCb.unpack("ul:r:tn:Đ:1") == UnitLevelCb(
        purpose=UnitPurpose.registration, parent="tn", letter="Đ", page=1
    )


def test_a_prefix_belongs_to_one_payload():
    with pytest.raises(ValueError, match="used by"):

        @dataclass(frozen=True)
        class Clash(Payload, prefix="qa"):
            other: int


class Colour(StrEnum):
    red = "r"


def test_payload_fields_must_be_simple():
    @dataclass(frozen=True)
    class Odd(Payload, prefix="zz-odd"):
        values: list[int]

    with pytest.raises(TypeError, match="payload fields"):
        Odd(values=[1]).pack()

    @dataclass(frozen=True)
    class Fine(Payload, prefix="zz-fine"):
        colour: Colour

    assert Fine.unpack(Fine(colour=Colour.red).pack()).colour is Colour.red
