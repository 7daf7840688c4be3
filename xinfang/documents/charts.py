"""Charts for the petition situation reports, as PNG bytes (matplotlib, Agg, no pyplot).

Chinese labels need a CJK font: the first of CJK_FAMILIES that matplotlib's font manager knows
(Debian's fonts-noto-cjk gives the Noto ones). The charts are drawn at their printed size (the
report places them at most 156 mm wide) so that their 9–10 pt labels print at that size.
"""

import io
import threading
from functools import cache

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "Source Han Serif SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)
DPI = 200
MM = 1 / 25.4  # inches
THIS_COLOR, LAST_COLOR, LINE_COLOR = "#2f5597", "#a6a6a6", "#c00000"
# rcParams are global: the lock keeps two threads from drawing under each other's settings.
_LOCK = threading.Lock()


class ChartFontMissing(RuntimeError):
    pass


@cache
def cjk_family() -> str:
    """The CJK font family the charts use; ChartFontMissing when none is installed."""
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    raise ChartFontMissing(
        "未找到可用于图表的中文字体（需要 "
        + " / ".join(CJK_FAMILIES[:2])
        + "），请安装 fonts-noto-cjk 后重试"
    )


def _style():
    return {
        "font.family": [cjk_family(), "DejaVu Sans"],
        "font.size": 9,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "legend.frameon": False,
        "savefig.dpi": DPI,
    }


def _draw(width_mm, height_mm, paint) -> bytes:
    with _LOCK, matplotlib.rc_context(_style()):
        fig = Figure(figsize=(width_mm * MM, height_mm * MM), layout="constrained")
        FigureCanvasAgg(fig)
        paint(fig.add_subplot())
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def _short(name, limit=8):
    return name if len(name) <= limit else name[: limit - 1] + "…"


def category_bars(names, this, last_year=None, *, this_label="本期", last_label="去年同期", width_mm=150):
    """Grouped bars per category: this period and (when given) the same period last year; a bar
    whose last-year count is unknown (None) is left out, not drawn as zero."""
    if last_year is not None and len(last_year) != len(names):
        raise ValueError("last_year 与 names 长度不一致")
    count = len(names)

    def paint(ax):
        xs = range(count)
        both = last_year is not None and any(v is not None for v in last_year)
        width = 0.38 if both else 0.6
        shift = width / 2 if both else 0
        bars = ax.bar([x - shift for x in xs], this, width, color=THIS_COLOR, label=this_label)
        ax.bar_label(bars, labels=[f"{v:,}" for v in this], padding=2, fontsize=7)
        if both:
            known = [(x, v) for x, v in zip(xs, last_year, strict=True) if v is not None]
            old = ax.bar([x + shift for x, _ in known], [v for _, v in known], width, color=LAST_COLOR)
            old.set_label(last_label)
            ax.bar_label(old, labels=[f"{v:,}" for _, v in known], padding=2, fontsize=7)
            ax.legend(loc="upper right")
        ax.set_xticks(
            list(xs),
            [_short(n) for n in names],
            rotation=30 if count > 6 else 0,
            ha="right" if count > 6 else "center",
        )
        ax.set_ylabel("件数")
        ax.margins(y=0.15)

    return _draw(width_mm, 75, paint)


def volume_line(labels, counts, *, ylabel="件数", width_mm=150):
    """The volume over the period (per day or per month) as a line with its points marked."""
    if len(labels) != len(counts):
        raise ValueError("labels 与 counts 长度不一致")

    def paint(ax):
        xs = range(len(labels))
        ax.plot(xs, counts, color=LINE_COLOR, marker="o", markersize=3, linewidth=1.4)
        # As many tick labels as fit side by side (a 9 pt CJK character is about 3.2 mm wide).
        widest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in label) for label in labels), default=1)
        fit = max(2, int((width_mm - 20) // (widest * 1.6 + 4)))
        step = max(1, -(-len(labels) // fit))
        ticks = list(xs)[::step]
        ax.set_xticks(ticks, [labels[i] for i in ticks])
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, (max(counts, default=0) or 1) * 1.15)
        ax.grid(axis="y", linewidth=0.4, color="#d9d9d9")
        if counts:
            top = max(range(len(counts)), key=counts.__getitem__)
            ax.annotate(
                f"{counts[top]:,}",
                (top, counts[top]),
                textcoords="offset points",
                xytext=(0, 5),
                ha="center",
                fontsize=7,
            )

    return _draw(width_mm, 65, paint)


def channel_bars(names, counts, *, width_mm=140):
    """Horizontal bars of the channels, largest on top, each labelled with its count and share."""
    if len(names) != len(counts):
        raise ValueError("names 与 counts 长度不一致")
    pairs = sorted(zip(names, counts, strict=True), key=lambda p: p[1])
    total = sum(counts)

    def paint(ax):
        ys = range(len(pairs))
        bars = ax.barh(list(ys), [c for _, c in pairs], 0.6, color=THIS_COLOR)
        labels = [f"{c:,}（{c / total:.1%}）" if total else "0" for _, c in pairs]
        ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
        ax.set_yticks(list(ys), [n for n, _ in pairs])
        ax.set_xlabel("件数")
        ax.margins(x=0.25)
        ax.spines["bottom"].set_visible(True)

    return _draw(width_mm, max(35, 10 + 9 * len(pairs)), paint)
