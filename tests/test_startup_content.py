"""Invalid content stops start-up with the same messages as `content check`; no half-served content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import build_application
from bot.config import ROOT
from bot.content.problems import ContentError
from bot.content.registry import check_all
from bot.features import checkers


@pytest.fixture
def broken_settings(settings, tmp_path: Path):
    procedures = tmp_path / "procedures"
    shutil.copytree(ROOT / "procedures", procedures)
    guide = procedures / "vneid-level2-activation.yaml"
    guide.write_text(
        guide.read_text(encoding="utf-8").replace("category: identity", "category: nowhere"), encoding="utf-8"
    )
    return settings.model_copy(update={"procedures_dir": procedures, "bot_token": "1:X"})


def test_start_up_refuses_invalid_content_with_the_checks_messages(broken_settings):
    expected = [str(problem) for problem in check_all(broken_settings, checkers()) if not problem.warning]
    assert any("vneid-level2-activation.yaml" in line and "nowhere" in line for line in expected)
    with pytest.raises(ContentError) as error:
        build_application(broken_settings)
    assert str(error.value).splitlines() == expected


def test_cli_run_exits_with_the_same_messages(broken_settings):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DATABASE_URL": broken_settings.database_url,
        "BOT_TOKEN": "1:X",
        "BOT_API_URL": "http://127.0.0.1:9",
        "PROCEDURES_DIR": str(broken_settings.procedures_dir),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert result.returncode == 2
    assert "Content is invalid; not starting" in result.stderr
    assert "category" in result.stderr and "nowhere" in result.stderr
