"""The statistics as one PNG: four panels an official reads on a phone (matplotlib, Agg, no display).

Vietnamese and Thai need fonts the machine may not have: the ones the bot ships (bot/assets/fonts) are
registered and listed first, with matplotlib's own fallback from one to the next for each character.
Rendering takes a fraction of a second of CPU: the chat calls it in a child process (bot.reports.job),
never on the event loop.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from bot.i18n import _
from bot.reports.stats import TOP, Statistics

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
WIDTH, HEIGHT, DPI = 1200, 900, 100  # pixels of the image


@lru_cache(maxsize=1)
def _families() -> list[str]:
    from matplotlib import font_manager

    families = []
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"):
        path = FONTS / name
        if path.exists():
            font_manager.fontManager.addfont(str(path))
            family = font_manager.FontProperties(fname=str(path)).get_name()
            if family not in families:
                families.append(family)
    return families


def _short(text: str, size: int = 22) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def render(stats: Statistics) -> bytes:
    """PNG bytes, WIDTH × HEIGHT pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families = _families()
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    style = {"fontfamily": families} if families else {}
    axes = figure.subplots(2, 2)

    days = sorted(stats.registrations_by_day().items())
    panel = axes[0][0]
    panel.set_title(_("Citizens registered per day"), **style)
    if days:
        panel.bar(
            [day.strftime("%d/%m") for day, _n in days][-14:], [count for _d, count in days][-14:], color="#2E75B6"
        )
        panel.tick_params(axis="x", labelrotation=45, labelsize=8)
    else:
        panel.text(0.5, 0.5, _("no data yet"), ha="center", va="center", **style)

    panel = axes[0][1]
    figures = stats.contest
    panel.set_title(_("Contest entrants against headcount") if figures else _("No contest"), **style)
    if figures and figures.by_unit:
        top = figures.by_unit.most_common(TOP * 2)
        names = [_short(stats.unit_name(unit)) for unit, _n in top]
        entrants = [count for _u, count in top]
        headcounts = [(stats.units.get(unit, ("", None))[1] or 0) if unit else 0 for unit, _n in top]
        positions = range(len(top))
        panel.barh([p + 0.2 for p in positions], headcounts, height=0.4, color="#BDD7EE", label=_("Headcount"))
        panel.barh([p - 0.2 for p in positions], entrants, height=0.4, color="#2E75B6", label=_("Entrants"))
        panel.set_yticks(list(positions), names, fontsize=8, **style)
        panel.invert_yaxis()
        panel.legend(prop={"family": families} if families else None, fontsize=8)
    else:
        panel.text(0.5, 0.5, _("no data yet"), ha="center", va="center", **style)

    panel = axes[1][0]
    funnel = max(stats.funnels, key=lambda item: item.opened, default=None)
    if funnel is not None and funnel.opened:
        title = stats.guide_titles.get(funnel.guide_id, funnel.guide_id)
        panel.set_title(_short(_("Guide: {title}").format(title=title), 48), **style)
        labels = [_("opened")] + [str(step) for step in range(1, funnel.steps + 1)] + [_("done")]
        values = [funnel.opened] + [funnel.reached.get(step, 0) for step in range(1, funnel.steps + 1)] + [funnel.done]
        stuck = [0] + [funnel.stuck.get(step, 0) for step in range(1, funnel.steps + 1)] + [0]
        panel.bar(labels, values, color="#70AD47", label=_("reached"))
        panel.bar(labels, stuck, color="#C00000", label=_("stuck"))
        panel.legend(prop={"family": families} if families else None, fontsize=8)
        for tick in panel.get_xticklabels():
            tick.set_fontfamily(families or tick.get_fontfamily())
    else:
        panel.set_title(_("Procedure guides"), **style)
        panel.text(0.5, 0.5, _("no data yet"), ha="center", va="center", **style)

    panel = axes[1][1]
    panel.set_title(_("Announcements delivered per unit"), **style)
    by_unit = sorted(stats.delivery_by_unit().items(), key=lambda item: -sum(item[1].values()))[: TOP * 2]
    if by_unit:
        names = [_short(stats.unit_name(unit)) for unit, _s in by_unit]
        sent = [states.get("sent", 0) for _u, states in by_unit]
        other = [sum(states.values()) - states.get("sent", 0) for _u, states in by_unit]
        panel.barh(names, sent, color="#2E75B6", label=_("delivered"))
        panel.barh(names, other, left=sent, color="#F4B183", label=_("not delivered"))
        panel.invert_yaxis()
        panel.tick_params(axis="y", labelsize=8)
        for tick in panel.get_yticklabels():
            tick.set_fontfamily(families or tick.get_fontfamily())
        panel.legend(prop={"family": families} if families else None, fontsize=8)
    else:
        panel.text(0.5, 0.5, _("no data yet"), ha="center", va="center", **style)

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
