"""Server-rendered SVG charts: readable without JavaScript, and the same markup goes into the
PDF report (WeasyPrint draws inline SVG). Every label is escaped."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_WIDTH = 200
ROW = 26
BAR = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""
    # A reference value drawn as a marker on the bar's row (e.g. the survey's opt-in rate).
    reference: float | None = None


def bar_chart(
    bars: list[Bar], *, title: str, percent: bool = False, colour: str = "#1f6feb"
) -> SafeString:
    """Horizontal bars, one row per bar; `percent` scales to 100 and labels values with %."""
    if not bars:
        return mark_safe(f'<p class="muted">{escape(title)}: no data yet.</p>')
    top = 100.0 if percent else max(max(b.value for b in bars), 1)
    top = max(top, *(b.reference or 0 for b in bars))
    span = WIDTH - LABEL_WIDTH - 90
    height = len(bars) * ROW + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, bar in enumerate(bars):
        y = 10 + index * ROW
        width = 0 if top == 0 else round(span * bar.value / top, 1)
        value = f"{bar.value:.0f}%" if percent else f"{bar.value:,.0f}"
        if bar.note:
            value += f" {bar.note}"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 3}" text-anchor="end" '
            f'font-size="12" fill="#333">{escape(bar.label[:28])}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR}" '
            f'fill="{escape(colour)}" rx="2"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + BAR - 3}" font-size="12" '
            f'fill="#333">{escape(value)}</text>'
        )
        if bar.reference is not None:
            x = LABEL_WIDTH + round(span * bar.reference / top, 1)
            parts.append(
                f'<line x1="{x}" x2="{x}" y1="{y - 3}" y2="{y + BAR + 3}" stroke="#cf222e" '
                f'stroke-width="3"><title>Survey: {bar.reference:.0f}%</title></line>'
            )
    if any(b.reference is not None for b in bars):
        parts.append(
            f'<line x1="{LABEL_WIDTH}" x2="{LABEL_WIDTH + 14}" y1="{height - 8}" '
            f'y2="{height - 8}" stroke="#cf222e" stroke-width="3"/>'
            f'<text x="{LABEL_WIDTH + 20}" y="{height - 4}" font-size="11" fill="#333">'
            "European survey reference</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text is escaped above


def rate(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0
