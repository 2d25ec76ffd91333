"""Helpers for quiz tests: a quiz bank folder with a contest open now, and a unit of work on the sandbox."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot.config import ROOT

QUOTAS = {"dx-day": 1, "backan": 1, "laws": 1}


def contest_yaml(
    contest_id: str = "open-now",
    start: datetime | None = None,
    end: datetime | None = None,
    minutes: int = 10,
    attempts: int = 2,
    prediction: bool = True,
    quotas: dict[str, int] | None = None,
) -> dict:
    now = datetime.now(UTC)
    quotas = quotas or QUOTAS
    return {
        "id": contest_id,
        "mode": "contest",
        "title": {"vi": "Cuộc thi thử", "en": "Test contest", "th": "การแข่งขันทดสอบ"},
        "window": {
            "start": (start or now - timedelta(hours=1)).isoformat(),
            "end": (end or now + timedelta(days=1)).isoformat(),
        },
        "questions_per_attempt": sum(quotas.values()),
        "topic_quotas": quotas,
        "time_limit_minutes": minutes,
        "attempts_allowed": attempts,
        "counted_attempt": "best",
        "prediction": {
            "enabled": prediction,
            "text": {"vi": "Bao nhiêu người sẽ tham gia?", "en": "How many people will take part?"},
            "max_value": 1000000,
        },
        "eligibility": {"min_age": 15},
        "groups": [
            {"id": "citizens", "title": {"vi": "Người dân", "en": "Residents", "th": "ประชาชน"}},
            {"id": "officials", "title": {"vi": "Cán bộ", "en": "Officials", "th": "เจ้าหน้าที่"}},
        ],
        "prizes": {
            "individual": [{"id": "first", "count": 1, "title": {"vi": "Giải Nhất"}}],
            "group": {"count": 2, "criterion": "entrants", "title": {"vi": "Giải tập thể"}},
        },
    }


def make_bank(folder: Path, contests: list[dict] | None = None, with_practice: bool = True) -> Path:
    shutil.copytree(ROOT / "quiz_bank" / "questions", folder / "questions")
    (folder / "contests").mkdir()
    for contest in contests if contests is not None else [contest_yaml()]:
        (folder / "contests" / f"{contest['id']}.yaml").write_text(
            yaml.safe_dump(contest, allow_unicode=True), encoding="utf-8"
        )
    if with_practice:
        shutil.copy(ROOT / "quiz_bank" / "contests" / "practice.yaml", folder / "contests" / "practice.yaml")
    return folder
