"""The command line, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import ROOT


def run(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BOT_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def test_help_lists_every_command(settings):
    result = run(settings, "--help")
    assert result.returncode == 0
    for command in ("run", "sandbox", "db", "content", "units", "admin"):
        assert command in result.stdout


def test_units_import_good_and_bad(settings, tmp_path: Path):
    result = run(settings, "units", "import", str(ROOT / "data" / "units" / "backan-2023.csv"))
    assert result.returncode == 0, result.stderr
    assert "Imported 17 unit(s)." in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,kind,parent_code\nx,X,village,bk\ny,,commune,bk\n", encoding="utf-8")
    result = run(settings, "units", "import", str(bad))
    assert result.returncode == 1
    assert "line 2: kind 'village'" in result.stderr and "line 3: name is empty" in result.stderr
    assert "Nothing was imported." in result.stderr


def test_admin_grant_and_revoke(settings):
    assert "Role official granted to 42." in run(settings, "admin", "grant", "42", "official").stdout
    assert "Nothing to change." in run(settings, "admin", "grant", "42", "official").stdout
    bad = run(settings, "admin", "grant", "42", "emperor")
    assert bad.returncode == 2 and "unknown role" in bad.stderr
    assert "revoked from 42" in run(settings, "admin", "revoke", "42", "official").stdout


def test_content_check_passes_on_shipped_content(settings):
    result = run(settings, "content", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout
