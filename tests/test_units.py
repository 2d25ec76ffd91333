"""Administrative units: CSV validation and import, help contacts."""

from __future__ import annotations

import pytest

from bot.config import ROOT
from bot.domain.units import UnitsCsvError, help_contact, import_units, parse_units_csv

HEADER = "code,name,kind,parent_code,headcount,help_name,help_phone,help_hours\n"
GOOD = HEADER + (
    "p,Province,province,,1000,,,\n"
    "d,District,district,p,,,,\n"
    "c,Commune,commune,d,250,Commune digital team,0209 111 222,Mon-Fri 7:30-17:00\n"
)


def test_rows_come_out_parents_first():
    text = HEADER + "c,Commune,commune,d,,,,\nd,District,district,p,,,,\np,Province,province,,,,,\n"
    assert [unit.code for unit in parse_units_csv(text)] == ["p", "d", "c"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("x,,commune,p,,,,", "line 3: name is empty"),
        ("x,X,village,p,,,,", "line 3: kind 'village' is not one of"),
        ("x y,X,commune,p,,,,", "line 3: code 'x y' may use only"),
        ("x,X,commune,nowhere,,,,", "line 3: parent_code 'nowhere' is neither"),
        ("x,X,commune,p,many,,,", "line 3: headcount 'many' is not a whole number"),
        ("p,Again,commune,,,,,", "line 3: code 'p' already used on line 2"),
        ("x,X,commune,p,,,,,extra", "line 3: more values than columns"),
    ],
)
def test_bad_rows_are_reported_by_line(row: str, reason: str):
    with pytest.raises(UnitsCsvError) as error:
        parse_units_csv(HEADER + "p,Province,province,,,,,\n" + row + "\n")
    assert any(problem.startswith(reason) for problem in error.value.problems), error.value.problems


def test_missing_column_is_reported():
    with pytest.raises(UnitsCsvError, match="line 1: missing column"):
        parse_units_csv("code,name\np,Province\n")


def test_parent_loop_is_reported():
    with pytest.raises(UnitsCsvError, match="loops back"):
        parse_units_csv(HEADER + "a,A,district,b,,,,\nb,B,district,a,,,,\n")


async def test_import_then_help_contact_walks_up_to_a_unit_with_a_team(uow):
    result = await import_units(uow, GOOD + "v,Village-less ward,ward,c,,,,\n")
    assert result.imported == 4
    unit, contact = await help_contact(uow, "v")
    assert unit.name == "Village-less ward"
    assert contact.code == "c" and contact.help_phone == "0209 111 222"


async def test_a_bad_file_imports_nothing(uow):
    with pytest.raises(UnitsCsvError):
        await import_units(uow, GOOD + "x,X,commune,nowhere,,,,\n")
    async with uow:
        assert await uow.units.count() == 0


async def test_later_file_may_refer_to_units_imported_before(uow):
    await import_units(uow, GOOD)
    await import_units(uow, HEADER + "w,Ward,ward,d,,,,\n")
    async with uow:
        assert (await uow.units.get("w")).parent_code == "d"


async def test_shipped_backan_sample_imports(uow):
    result = await import_units(uow, (ROOT / "data" / "units" / "backan-2023.csv").read_text(encoding="utf-8"))
    assert result.imported >= 16  # province, city, 7 districts, 8 city units
    async with uow:
        districts = await uow.units.children("bk")
    names = {unit.name for unit in districts}
    assert {"Ba Bể", "Bạch Thông", "Chợ Đồn", "Chợ Mới", "Na Rì", "Ngân Sơn", "Pác Nặm"} <= {
        name.removeprefix("Huyện ").strip() for name in names
    }
