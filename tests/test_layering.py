"""Domain code must not know which messenger it serves."""
from __future__ import annotations

import ast
from pathlib import Path

from bot.config import ROOT

MESSENGER_FREE = ["bot/domain", "bot/content", "bot/db", "bot/ui/view.py", "bot/i18n.py"]
FORBIDDEN = ("aiogram", "bot.transport", "bot.handlers")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _files() -> list[Path]:
    files = []
    for entry in MESSENGER_FREE:
        path = ROOT / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def test_domain_modules_import_nothing_from_the_messenger():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _files()
        for name in _imports(path)
        if name.split(".")[0] == "aiogram" or name.startswith(FORBIDDEN)
    ]
    assert len(_files()) > 5
    assert offenders == []


def test_the_check_notices_an_offender(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("from aiogram.types import Message\n")
    assert "aiogram.types" in _imports(bad)


def test_nothing_reads_keyboards_back_from_the_bot_api():
    """bot.transport.session drops the keyboards the Bot API echoes back; no code may rely on them."""
    readers = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "reply_markup" and isinstance(node.ctx, ast.Load):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []
