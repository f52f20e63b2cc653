"""The history of runs as one self-contained HTML page (``runs --html FILE``): line charts drawn as
inline SVG (no script, no font or library fetched at view time) of records per run, field coverage
per run (drift shows as a falling line), failures per run, and the request rate, then the table.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

WIDTH, HEIGHT, PAD = 640, 180, 36
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def nice_top(value: float) -> float:
    """The y axis's top: 1, 2, 2.5 or 5 times a power of ten, at or above ``value`` (a short label
    that no point rises above)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if value <= m * power)


def _chart(title: str, series: dict[str, list[float]], labels: list[str], percent: bool = False) -> str:
    """An SVG line chart of ``series`` (oldest run first) with a legend and the y range."""
    values = [v for points in series.values() for v in points]
    top = 1.0 if percent else nice_top(max(values or [0.0]))
    count = max(len(labels), 2)

    def x(i: int) -> float:
        return PAD + i * (WIDTH - 2 * PAD) / (count - 1)

    def y(v: float) -> float:
        return HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD)

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff" stroke="#ccc"/>',
        f'<text x="{PAD}" y="18" font-size="13" font-family="sans-serif">{escape(title)}</text>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>',
        f'<text x="4" y="{PAD + 4}" font-size="10" font-family="sans-serif">{"100%" if percent else f"{top:g}"}</text>',
        f'<text x="4" y="{HEIGHT - PAD}" font-size="10" font-family="sans-serif">0</text>',
    ]
    for n, (name, points) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(points))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>')
        parts += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>' for i, v in enumerate(points)]
        parts.append(
            f'<text x="{WIDTH - PAD - 150}" y="{18 + 14 * n}" font-size="11" fill="{colour}" '
            f'font-family="sans-serif">{escape(name)}</text>'
        )
    return "".join(parts) + "</svg>"


def page(spider: str, rows: list[dict[str, Any]], table_text: str) -> str:
    """The whole page; ``rows`` newest first, as the table shows them (the charts read oldest first)."""
    runs = list(reversed(rows))
    labels = [(row["start"] or "")[:16] for row in runs]
    coverage = {
        field: [row["coverage"][field] or 0.0 for row in runs] for field in ("headline", "articleBody", "datePublished")
    }
    charts = [
        _chart(
            "records per run (emitted, new)",
            {"emitted": [r["emitted"] for r in runs], "new": [r["new"] for r in runs]},
            labels,
        ),
        _chart("field coverage per run", coverage, labels, percent=True),
        _chart(
            "failures per run (articles and listings lost, bot challenges)",
            {"failures": [r["failures"] for r in runs], "blocked": [r["blocked"] for r in runs]},
            labels,
        ),
        _chart(
            "request rate (pages per second)",
            {"pages/s": [(r["pages"] / r["seconds"]) if r["seconds"] else 0.0 for r in runs]},
            labels,
        ),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>newsspider runs: {escape(spider)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}svg{display:block;margin:1em 0}"
        "pre{font-size:12px;background:#f6f6f6;padding:1em;overflow:auto}</style></head><body>"
        f"<h1>Runs of {escape(spider)}</h1><p>{len(rows)} run{'' if len(rows) == 1 else 's'}, oldest on the left.</p>"
        + "".join(charts)
        + f"<h2>The runs, newest first</h2><pre>{escape(table_text)}</pre></body></html>\n"
    )
