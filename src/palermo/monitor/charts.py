"""Charts of the annual report, drawn with matplotlib (object API, no global state, so it is
safe in a threaded server): one horizontal bar chart per figure set, as SVG for the HTML
report and PNG for the PDF and the editable DOCX.

Only protected figures arrive here. A suppressed cell is drawn as no bar with an "x" beside
its label — never as zero, which would be a false figure, and never as its true value.
Labels are the words of the report (already translated); text is large enough to read on
paper and on a phone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

FONT_SIZE = 11
BAR_COLOUR = "#1d5d90"
STACK_COLOURS = ("#9aa5b1", "#e0a526", "#2e7d32", "#8e2b2b", "#5b6c7d")


@dataclass(frozen=True)
class Chart:
    """Bars by label; ``stacks`` names the parts when each bar is a stack (status counts)."""

    title: str
    labels: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]  # one tuple per label (one value unless stacked)
    stacks: tuple[str, ...] = ()
    percent: bool = False

    @property
    def height_inches(self) -> float:
        return 1.2 + 0.42 * max(1, len(self.labels))


def bars(title: str, rows: Sequence[tuple[str, float | None]], *, percent: bool = False) -> Chart:
    return Chart(title, tuple(r[0] for r in rows), tuple((r[1],) for r in rows), percent=percent)


def stacked(
    title: str, rows: Sequence[tuple[str, Sequence[float]]], stacks: Sequence[str]
) -> Chart:
    return Chart(title, tuple(r[0] for r in rows), tuple(tuple(r[1]) for r in rows), tuple(stacks))


def _figure(chart: Chart) -> object:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, chart.height_inches), dpi=150, layout="constrained")
    ax = fig.add_subplot()
    positions = list(range(len(chart.labels)))
    if chart.stacks:
        left = [0.0] * len(chart.labels)
        for i, name in enumerate(chart.stacks):
            widths = [float(v[i] or 0) for v in chart.values]
            ax.barh(
                positions,
                widths,
                left=left,
                label=name,
                color=STACK_COLOURS[i % len(STACK_COLOURS)],
            )
            left = [a + b for a, b in zip(left, widths, strict=True)]
        ax.legend(fontsize=FONT_SIZE - 1, loc="lower right", frameon=False)
    else:
        widths = [float(v[0]) if v[0] is not None else 0.0 for v in chart.values]
        ax.barh(positions, widths, color=BAR_COLOUR)
        top = max(widths, default=0.0) or 1.0
        for y, v in zip(positions, chart.values, strict=True):
            text = "x" if v[0] is None else (f"{v[0]:.0f} %" if chart.percent else f"{v[0]:g}")
            ax.text((v[0] or 0) + top * 0.01, y, text, va="center", fontsize=FONT_SIZE)
        ax.set_xlim(0, top * 1.15)
    ax.set_yticks(positions, labels=list(chart.labels), fontsize=FONT_SIZE)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=FONT_SIZE - 1)
    ax.set_title(chart.title, fontsize=FONT_SIZE + 1, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def render(chart: Chart, fmt: str) -> bytes:
    """``svg`` or ``png`` bytes of the chart."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"unknown chart format {fmt!r}")
    fig = _figure(chart)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)  # type: ignore[attr-defined]
    return buf.getvalue()
