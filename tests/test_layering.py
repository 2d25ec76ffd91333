"""The core must not know which messenger it serves: the import contract in pyproject.toml, checked by
import-linter (direct and indirect imports), and a proof that the contract catches an offender."""

from __future__ import annotations

import ast
import logging
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

from bot.config import ROOT

CONTRACT = "messenger-free core"
CHANNELS_CONTRACT = "conversations know no channel"


@pytest.fixture(autouse=True)
def _logging_kept() -> Iterator[None]:
    """import-linter's command configures logging with dictConfig, which disables every logger that exists;
    later tests that read the bot's logs need them back."""
    loggers = [logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    enabled = [logger for logger in loggers if not logger.disabled]
    handlers, level = list(logging.root.handlers), logging.root.level
    yield
    for logger in enabled:
        logger.disabled = False
    logging.root.handlers[:], logging.root.level = handlers, level


def _contract(name: str = CONTRACT) -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(contract for contract in contracts if contract["name"] == name)


def test_the_core_imports_no_messenger_directly_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_the_contract_covers_every_messenger_free_package() -> None:
    sources = set(_contract()["source_modules"])  # type: ignore[call-overload]
    assert {"bot.domain", "bot.ui", "bot.content", "bot.db", "bot.i18n"} <= sources
    forbidden = set(_contract()["forbidden_modules"])  # type: ignore[call-overload]
    assert {"aiogram", "bot.transport", "bot.handlers", "bot.channels"} <= forbidden


def test_conversations_know_no_channel() -> None:
    """Handlers, screens, rules and the delivery room are written once: no channel's code (Zalo, web) and no HTTP
    client a channel speaks with is reachable from them."""
    contract = _contract(CHANNELS_CONTRACT)
    assert {"bot.handlers", "bot.domain", "bot.ui", "bot.delivery"} <= set(contract["source_modules"])  # type: ignore[call-overload]
    assert {"bot.channels", "aiohttp"} <= set(contract["forbidden_modules"])  # type: ignore[call-overload]
    channel_packages = {path.parent.name for path in (ROOT / "bot" / "channels").glob("*/__init__.py")}
    assert "zalo" in channel_packages


@pytest.mark.parametrize("chain", ["direct", "indirect"])
def test_the_contract_catches_a_planted_offender(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chain: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same contract, on a copy of the layout where one domain module reaches aiogram."""
    package = tmp_path / "planted"
    for folder in (
        "domain",
        "delivery",
        "reports",
        "ui",
        "content",
        "db",
        "transport",
        "handlers",
        "channels",
        "sandbox",
    ):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    for module in ("__init__", "i18n", "config", "runtime", "app", "features", "cli"):
        (package / f"{module}.py").write_text("")
    (package / "transport" / "telegram.py").write_text("import aiogram\n")
    (package / "domain" / "helper.py").write_text("from planted.transport import telegram\n")
    through = "planted.transport import telegram" if chain == "direct" else "planted.domain import helper"
    offender = f"from {through}\n"
    (package / "ui" / "screen.py").write_text(offender)
    fake_aiogram = tmp_path / "aiogram"
    fake_aiogram.mkdir()
    (fake_aiogram / "__init__.py").write_text("")

    contract = _contract()
    rename = lambda names: [name.replace("bot.", "planted.", 1) for name in names]  # noqa: E731
    config = tmp_path / "contracts.toml"
    config.write_text(
        "[tool.importlinter]\nroot_package = 'planted'\ninclude_external_packages = true\n\n"
        "[[tool.importlinter.contracts]]\n"
        f"name = {CONTRACT!r}\ntype = 'forbidden'\n"
        f"source_modules = {rename(contract['source_modules'])!r}\n"  # type: ignore[arg-type]
        f"forbidden_modules = {rename(contract['forbidden_modules'])!r}\n"  # type: ignore[arg-type]
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("planted")]:
        monkeypatch.delitem(sys.modules, name)
    assert lint_imports(config_filename=str(config), no_cache=True, no_logo=True) == 1
    assert "planted.ui.screen" in capsys.readouterr().out


def test_nothing_reads_keyboards_back_from_the_bot_api() -> None:
    """bot.transport.session drops the keyboards the Bot API echoes back; no code may rely on them."""
    readers = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "reply_markup" and isinstance(node.ctx, ast.Load):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []
