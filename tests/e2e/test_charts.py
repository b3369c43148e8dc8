"""Insights charts measured in a real Chromium: no label, value or survey marker overlaps
another, nothing is cut at the edge of the chart, and long topic names are shown whole."""

from __future__ import annotations

import pytest

from campaigns.insights import Bar, bar_chart

pytestmark = pytest.mark.e2e

LONG = "Company and sector news for experienced professionals in the Lyon area"
WORD = "Supercalifragilisticexpialidociousprogrammingcompetitionsandmeetups"

MEASURE = """(svg) => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {x: r.left, y: r.top, r: r.right, b: r.bottom, text: el.textContent || el.tagName}; };
  const frame = box(svg);
  const texts = [...svg.querySelectorAll('text')].map(box);
  const marks = [...svg.querySelectorAll('line.chart-marker')].map(box);
  return {frame, texts, marks, labels: [...svg.querySelectorAll('text.chart-label')]
            .map(t => t.textContent)};
}"""


def _overlap(a, b) -> bool:
    return a["x"] < b["r"] and b["x"] < a["r"] and a["y"] < b["b"] and b["y"] < a["b"]


@pytest.mark.parametrize(
    "bars, percent",
    [
        (  # opt-in rates with the survey marker right where the value used to be drawn
            [
                Bar("FR", 66, note="(11/21)", reference=67),
                Bar("IT", 75, "(3/4)", 75),
                Bar("DE", 100, "(1,234/1,234)", 60),
                Bar(LONG, 0, "(0/12)", 82),
            ],
            True,
        ),
        (  # engagement per topic: long names, a single unbreakable word, long notes
            [
                Bar(LONG, 48.5, note="opened (12,345/25,000)"),
                Bar(WORD, 3, "opened (1/30)"),
                Bar("Job offers", 100, "opened (9/9)"),
            ],
            True,
        ),
        (  # counts of very different sizes
            [Bar("Rejected", 1_234_567), Bar("Opted in", 5), Bar(LONG, 0)],
            False,
        ),
    ],
)
def test_chart_texts_never_overlap_and_stay_inside(page, bars, percent):
    page.set_viewport_size({"width": 1366, "height": 900})
    html = bar_chart(bars, title="Chart", percent=percent)
    # The chart at the width the insights page gives it, and at a narrow one.
    for width in (720, 360):
        page.set_content(f'<div style="width:{width}px;font-family:sans-serif">{html}</div>')
        found = page.locator("svg").evaluate(MEASURE)
        frame, texts, marks = found["frame"], found["texts"], found["marks"]
        for text in texts:
            assert text["x"] >= frame["x"] - 0.5 and text["r"] <= frame["r"] + 0.5, text
            assert text["y"] >= frame["y"] - 0.5 and text["b"] <= frame["b"] + 0.5, text
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                assert not _overlap(a, b), (a, b)
            for mark in marks:
                assert not _overlap(a, mark), (a, mark)
        # Every label is shown in full (wrapped onto more lines, never cut).
        shown = " ".join(found["labels"]).replace(" ", "")
        for bar in bars:
            assert bar.label.replace(" ", "") in shown
