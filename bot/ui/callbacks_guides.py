"""Button payloads of the guides. Step and checklist payloads carry the guide's content version,
so that a button made before the guide was edited is recognised as stale."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class GuideListCb(CallbackData, prefix="gk"):
    category: str
    page: int = 0


class GuideOpenCb(CallbackData, prefix="go"):
    guide: str


class GuideStepCb(CallbackData, prefix="gs"):
    guide: str
    version: str
    shown: int      # the step on the message (0 = overview)
    action: str     # bot.domain.guides.service.Move value


class GuideTickCb(CallbackData, prefix="gc"):
    guide: str
    version: str
    item: int


class GuideRateCb(CallbackData, prefix="gf"):
    guide: str
    vote: str       # "up", "down", or "skip" (no reason to give)
