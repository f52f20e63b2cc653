"""``python -m newsspider runs [--spider NAME] [--last N] [--json | --html FILE] [--input FOLDER]``: the history of a
spider's runs, read from the reports they left (``<run id>.report.json`` beside each run's output),
newest first: when it started and how long it took, its verdict, records new and changed, pages,
failures, bot challenges, the main fields' coverage, and its alarms.

It reads reports one at a time and keeps only the columns, so a history of years of hourly runs
stays small in memory; a report it cannot read is named on stderr and counted, never fatal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from newsspider import sites
from newsspider.cli import Parser, at_least
from newsspider.errors import BadInput
from newsspider.historypage import page

COVERED = ("headline", "articleBody", "datePublished")  # the fields a drift shows in first
SPIDERS = sites.spider_names()


def run_row(report: dict[str, Any]) -> dict[str, Any]:
    """One run's line of the history."""
    start, end = report.get("start"), report.get("end")
    seconds = None
    if start and end:
        seconds = round((_moment(end) - _moment(start)).total_seconds(), 1)
    records = report.get("records", {})
    pages = report.get("pagesRequested", {})
    coverage = report.get("coverage", {})
    return {
        "runId": report.get("runId"),
        "start": start,
        "seconds": seconds,
        "verdict": report.get("verdict"),
        "finishReason": report.get("finishReason"),
        "new": records.get("new", 0),
        "changed": records.get("changed", 0),
        "emitted": records.get("emitted", 0),
        "pages": pages.get("responses", 0),
        "failures": sum((report.get("failures") or {}).get("byReason", {}).values()),
        "blocked": pages.get("blocked", 0),
        "coverage": {field: coverage.get(field) for field in COVERED},
        "alarms": [alarm.get("check") for alarm in report.get("alarms", [])],
    }


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def reports(folder: Path) -> Iterator[tuple[Path, dict[str, Any] | None]]:
    """Each crawl report in ``folder`` (a re-extraction's are another tool's), or ``None`` when unreadable."""
    for path in sorted(folder.glob("*.report.json")):
        try:
            report = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            yield path, None
            continue
        if isinstance(report, dict) and report.get("tool") is None:
            yield path, report


def table(rows: list[dict[str, Any]]) -> str:
    """The history as an aligned text table, newest first."""
    head = (
        "start",
        "seconds",
        "verdict",
        "records",
        "new",
        "changed",
        "pages",
        "failures",
        "blocked",
        *COVERED,
        "alarms",
    )
    lines = [head]
    for row in rows:
        coverage = [f"{row['coverage'][f]:.2f}" if row["coverage"][f] is not None else "-" for f in COVERED]
        lines.append(
            (
                (row["start"] or "-")[:19].replace("T", " "),
                "-" if row["seconds"] is None else f"{row['seconds']:.0f}",
                row["verdict"] or row["finishReason"] or "-",
                *(str(row[k]) for k in ("emitted", "new", "changed", "pages", "failures", "blocked")),
                *coverage,
                ",".join(row["alarms"]) or "-",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def main(argv: list[str] | None = None) -> int:
    parser = Parser("runs", "The history of a spider's runs, from their reports, newest first.")
    parser.add_argument("--spider", default="bannedbook", choices=SPIDERS, help="whose runs (default: bannedbook)")
    parser.add_argument("--input", type=Path, help="the folder of the runs' reports (default: output/<spider>/)")
    parser.add_argument("--last", type=at_least(1), help="only the newest N runs")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="one JSON object per run, for scripts")
    shown.add_argument("--html", type=Path, metavar="FILE", help="write one self-contained page with plots of the runs")
    try:
        args = parser.parse_args(argv)
        folder = args.input or Path("output") / args.spider
        if not folder.is_dir():
            demo = Path("output") / "demo" / args.spider
            hint = f" (the demo's runs: --input {demo})" if args.input is None and demo.is_dir() else ""
            raise BadInput(f"no folder {folder}: give --input, the folder the runs wrote their reports to{hint}")
    except (BadInput, ValueError) as exc:
        print(f"newsspider runs: error: {exc}", file=sys.stderr)
        return 2
    rows, unreadable = [], 0
    for path, report in reports(folder):
        if report is None:
            unreadable += 1
            print(f"newsspider runs: {path}: not a readable report", file=sys.stderr)
        else:
            rows.append(run_row(report))
    rows.sort(key=lambda row: row["start"] or "", reverse=True)
    rows = rows[: args.last] if args.last else rows
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    elif args.html:
        try:
            args.html.write_text(page(args.spider, rows, table(rows)), "utf-8")
        except OSError as exc:
            print(f"newsspider runs: error: {args.html} could not be written ({exc.strerror})", file=sys.stderr)
            return 3
    else:
        print(table(rows))
    written = f" -> {args.html}" if args.html else ""
    unread = f"; {unreadable} unreadable" if unreadable else ""
    print(f"runs: {len(rows)} shown from {folder}{written}{unread}", file=sys.stderr)
    return 0 if not unreadable else 3
