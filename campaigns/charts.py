"""Server-rendered SVG charts: readable without JavaScript, and the same markup goes into the
PDF report (WeasyPrint draws inline SVG). Every label is escaped."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 640
LEFT = 4
FONT = 12
# Average advance of a 12px sans-serif character, rounded up: DejaVu Sans (the widest of the
# fonts the page and WeasyPrint fall back to) averages ~6.9px for mixed text and digits.
CHAR = 7.2
LINE = 15  # one label line
BAR = 14
GAP = 12  # between rows


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""
    # A reference value drawn as a marker on the bar's row (e.g. the survey's opt-in rate).
    reference: float | None = None


def _text_width(text: str) -> float:
    return len(text) * CHAR


def _wrap(text: str, width: float) -> list[str]:
    """Words into lines no wider than `width` (a word longer than a line is cut into pieces):
    nothing of a label is ever dropped."""
    per_line = max(int(width // CHAR), 1)
    lines: list[str] = []
    current = ""
    for word in text.split() or [""]:
        while len(word) > per_line:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:per_line])
            word = word[per_line:]
        candidate = f"{current} {word}".strip()
        if len(candidate) <= per_line:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return [line for line in lines if line] or [""]


def bar_chart(
    bars: list[Bar], *, title: str, percent: bool = False, colour: str = "#1f6feb"
) -> SafeString:
    """Horizontal bars, one row per bar: the label on its own line(s) above the bar (wrapped,
    never cut), the bar, and the value in a right-hand column the bars never reach, so neither
    a long label, a long value nor a reference marker can overprint another text.
    `percent` scales to 100 and labels values with %."""
    if not bars:
        empty = _("%(chart)s: no data yet.") % {"chart": title}
        return mark_safe(f'<p class="muted">{escape(empty)}</p>')
    top = 100.0 if percent else max(max(b.value for b in bars), 1)
    top = max(top, *(b.reference or 0 for b in bars))
    values = []
    for bar in bars:
        shown = number_format(round(bar.value), force_grouping=True)
        value = f"{shown}%" if percent else shown
        values.append(f"{value} {bar.note}" if bar.note else value)
    value_col = max(_text_width(v) for v in values) + 10
    span = WIDTH - LEFT - value_col - 4
    label_width = WIDTH - LEFT - 4
    rows = [_wrap(bar.label, label_width) for bar in bars]
    has_reference = any(b.reference is not None for b in bars)
    height = sum(len(lines) * LINE + 4 + BAR + GAP for lines in rows) + (22 if has_reference else 4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    y = 4
    for bar, lines, value in zip(bars, rows, values, strict=True):
        for line in lines:
            y += LINE
            parts.append(
                f'<text class="chart-label" x="{LEFT}" y="{y - 3}" font-size="{FONT}" '
                f'fill="#24292f">{escape(line)}</text>'
            )
        bar_y = y + 4
        width = 0 if top == 0 else round(span * min(bar.value, top) / top, 1)
        parts.append(
            f'<rect x="{LEFT}" y="{bar_y}" width="{width}" height="{BAR}" '
            f'fill="{escape(colour)}" rx="2"/>'
            f'<text class="chart-value" x="{WIDTH - 4}" y="{bar_y + BAR - 3}" '
            f'text-anchor="end" font-size="{FONT}" fill="#24292f">{escape(value)}</text>'
        )
        if bar.reference is not None:
            x = LEFT + round(span * bar.reference / top, 1)
            survey = _("Survey: %(rate)s%%") % {"rate": round(bar.reference)}
            parts.append(
                f'<line class="chart-marker" x1="{x}" x2="{x}" y1="{bar_y - 2}" '
                f'y2="{bar_y + BAR + 2}" stroke="#cf222e" stroke-width="3">'
                f"<title>{escape(survey)}</title></line>"
            )
        y = bar_y + BAR + GAP
    if has_reference:
        legend = _("European survey reference")
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + 14}" y1="{height - 9}" y2="{height - 9}" '
            f'stroke="#cf222e" stroke-width="3"/>'
            f'<text class="chart-label" x="{LEFT + 20}" y="{height - 5}" font-size="11" '
            f'fill="#24292f">{escape(legend)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text is escaped above


def rate(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0
