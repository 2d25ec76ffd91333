"""The sandbox runs the real bot against the emulator with the demo contest open; real runs keep it closed."""

from __future__ import annotations

from bot.cli import SAMPLE_UNITS
from bot.config import Settings
from bot.domain.units import parse_units_csv
from bot.sandbox.run import SANDBOX_TOKEN, sandbox_settings


def test_the_sandbox_opens_demo_contests_and_real_runs_do_not():
    settings = Settings(_env_file=None)
    assert settings.demo_contests is False
    sandbox = sandbox_settings(settings, "http://127.0.0.1:8080")
    assert sandbox.demo_contests is True
    assert sandbox.bot_token == SANDBOX_TOKEN and sandbox.bot_api_url == "http://127.0.0.1:8080"


def test_the_sandbox_loads_the_current_two_level_units():
    units = parse_units_csv(SAMPLE_UNITS.read_text(encoding="utf-8"))
    assert SAMPLE_UNITS.name == "thai-nguyen-2025.csv"
    province = [unit for unit in units if unit.kind == "province"]
    assert [unit.code for unit in province] == ["tn"]
    below = [unit for unit in units if unit.kind != "province"]
    assert len(below) == 92 and all(unit.parent_code == "tn" for unit in below)
    assert sum(unit.kind == "ward" for unit in below) == 15 and sum(unit.kind == "commune" for unit in below) == 77
    assert not [unit for unit in units if unit.kind in ("district", "town", "city")]
    assert not [unit for unit in units if unit.help_phone]  # no public source gives one
