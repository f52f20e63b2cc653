"""Run the benchmarks and write ``bench/RESULTS.md``.

    python -m bench.run                 # everything (about 10 minutes on 2 cores)
    python -m bench.run --quick         # a smoke run: small sizes, no trafilatura, no file written
    python -m bench.run --before REV    # also measure extraction at git revision REV, same run
    python -m bench.run --no-cluster    # without section 4 (it needs redis-server and PostgreSQL)

Every target is a ratio of figures measured in the same run, since absolute times drift on
shared machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cluster, crawl, extraction
from bench.results import write_section

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "RESULTS.md"


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    memory_kib = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    import lxml.etree
    import scrapy

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{memory_kib / 1024 / 1024:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT, capture_output=True, text=True
        ).stdout.strip(),
    }


def extraction_at(revision: str, count: int, rounds: int) -> dict[str, Any]:
    """Extraction figures of an older revision of newsspider, measured by this run's harness."""
    with tempfile.TemporaryDirectory(prefix="newsspider-before-") as tmp:
        subprocess.run(
            ["git", "worktree", "add", "--detach", tmp, revision], cwd=PROJECT, check=True, capture_output=True
        )
        try:
            code = (
                "import json, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
                "from bench import extraction;"
                "print(json.dumps(extraction.run(int(sys.argv[3]), int(sys.argv[4]), with_trafilatura=False)))"
            )
            out = subprocess.run(
                [sys.executable, "-c", code, tmp, str(PROJECT), str(count), str(rounds)],
                cwd=tmp,
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", tmp], cwd=PROJECT, capture_output=True)


def render(
    m: dict[str, str],
    ex: dict[str, Any],
    before: dict[str, Any] | None,
    tp: dict[str, Any] | None,
    mem: dict[int, dict[str, Any]] | None,
) -> str:
    pps = ex["pages_per_second"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m bench.run`; every target is a ratio of figures measured in the same run.",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in m.items()),
        "",
        "## 1. Extraction and cleaning, pages per second per core",
        "",
        f"{ex['pages']} sample article pages, {ex['page_kb'][0]:.1f}-{ex['page_kb'][2]:.1f} KB each "
        f"(mean {ex['page_kb'][1]:.1f} KB), real page chrome; CPU time of one process, best of the rounds.",
        "",
        "| method | pages/s/core |",
        "|---|---|",
        f"| bare `lxml.html.fromstring` (the floor) | {pps['bare']:.0f} |",
        f"| newsspider: parse + loader + cleaning + schema validation | {pps['ours']:.0f} |",
        f"| `trafilatura.bare_extraction(..., with_metadata=True)` | {pps['trafilatura']:.1f} |",
        "",
        f"- newsspider vs trafilatura: **{ex['ours_vs_trafilatura']:.1f}x faster** (target at least 15x: "
        f"{'met' if ex['ours_vs_trafilatura'] >= 15 else 'missed'})",
        f"- newsspider vs the bare parse: **{ex['ours_vs_bare']:.2f}x slower** (target within 3x: "
        f"{'met' if ex['ours_vs_bare'] <= 3 else 'missed'})",
        f"- newsspider records equal to the generator's expected records: {ex['ours_exact_records']} of {ex['pages']}",
        "",
        "Fields of our records that trafilatura gets right on the same pages (pages where the field has a value):",
        "",
        "| field | trafilatura right | note |",
        "|---|---|---|",
    ]
    notes = {
        "headline": "its title is the `<title>` with the site name",
        "authors": "compared with our author names",
        "datePublished": "the date part",
        "source": "it has no field for the credited outlet; its `sitename` compared",
        "tags": "as a set",
    }
    for field, (right, present) in ex["trafilatura_accuracy"].items():
        lines.append(f"| {field} | {right} of {present} | {notes[field]} |")
    lines += [
        "",
        "Other pages, measured the same way in the same run:",
        "",
        "| pages | KB | bare parse | newsspider | trafilatura | vs the bare parse (target within 3x) "
        "| vs trafilatura (target at least 15x) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, other in ex["other_pages"].items():
        rates = other["pages_per_second"]
        lines.append(
            f"| {name} ({other['pages']} passes) | {other['page_kb']:.1f} | {rates['bare']:.0f} | {rates['ours']:.0f} "
            f"| {rates['trafilatura']:.1f} | **{other['ours_vs_bare']:.2f}x** "
            f"({'met' if other['ours_vs_bare'] <= 3 else 'missed'}) | **{other['ours_vs_trafilatura']:.1f}x** "
            f"({'met' if other['ours_vs_trafilatura'] >= 15 else 'missed'}) |"
        )
    if before is not None:
        b = before["pages_per_second"]
        lines += [
            "",
            f"Before and after (revision `{before['revision']}` measured by this run's harness, the same pages):",
            "",
            "| | pages/s/core | ratio to the bare parse |",
            "|---|---|---|",
            f"| before (`{before['revision']}`) | {b['ours']:.0f} | {before['ours_vs_bare']:.2f}x |",
            f"| after (`{m['commit']}`) | {pps['ours']:.0f} | {ex['ours_vs_bare']:.2f}x |",
        ]
    if tp is None:  # --only-extraction
        return "\n".join(lines) + "\n"
    best = tp["best"]
    lines += [
        "",
        "## 2. Crawl throughput, pages per second",
        "",
        f"A sample site of {tp['articles']} articles served on 127.0.0.1 (its own process, pages cached), "
        f"`CONCURRENT_REQUESTS=16`, per host 16, no delay; rounds alternate, best of each.",
        "",
        "| crawl | pages | records | seconds | pages/s | peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    for name, label in (
        ("linkonly", "link following only (`bench/linkonly.py`, the ceiling)"),
        ("bannedbook", "`scrapy crawl bannedbook`, everything on"),
    ):
        r = best[name]
        lines.append(
            f"| {label} | {r['pages']} | {r['records']} | {r['seconds']:.1f} | {r['pages_per_second']:.0f} | "
            f"{r['peak_rss_mib']:.0f} MiB |"
        )
    lines += [
        "",
        f"- full crawl vs ceiling: **{tp['ratio']:.0%}** "
        f"(target at least 80%: {'met' if tp['ratio'] >= 0.8 else 'missed'})",
        "",
        "## 3. Memory: peak RSS of full crawls",
        "",
        "| articles | pages | records | peak RSS | pages/s |",
        "|---|---|---|---|---|",
    ]
    for size, r in mem.items():
        lines.append(
            f"| {size} | {r['pages']} | {r['records']} | {r['peak_rss_mib']:.0f} MiB | {r['pages_per_second']:.0f} |"
        )
    sizes = sorted(mem)
    if len(sizes) > 1:
        small, large = mem[sizes[0]], mem[sizes[-1]]
        growth = large["peak_rss_mib"] / small["peak_rss_mib"]
        lines += [
            "",
            f"- peak RSS at {sizes[-1]} articles: **{large['peak_rss_mib']:.0f} MiB** (target under 250 MiB: "
            f"{'met' if large['peak_rss_mib'] < 250 else 'missed'})",
            f"- growth from {sizes[0]} to {sizes[-1]} articles ({sizes[-1] / sizes[0]:.0f}x the articles): "
            f"{growth:.2f}x the memory ({'sub-linear' if growth < sizes[-1] / sizes[0] else 'not sub-linear'})",
        ]
    return "\n".join(lines) + "\n"


def split_sections(text: str) -> list[tuple[str, str]]:
    """``## `` sections of ``text`` (the title line and the whole section), so that each replaces
    its own in RESULTS.md and the sections other benchmarks write stay."""
    parts = text.split("\n## ")
    return [(f"## {part.splitlines()[0]}", f"## {part}") for part in parts[1:]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes, nothing written")
    parser.add_argument("--before", metavar="REV", help="also measure extraction at this git revision")
    parser.add_argument("--no-cluster", action="store_true", help="skip the several-workers runs (section 4)")
    parser.add_argument("--only-extraction", action="store_true", help="measure and write sections Machine and 1 only")
    args = parser.parse_args(argv)
    if args.quick:
        ex = extraction.run(count=40, rounds=1, with_trafilatura=False)
        tp = crawl.throughput(articles=100, rounds=1)
        print(json.dumps({"extraction": ex, "throughput_ratio": tp["ratio"]}, indent=2, default=str))
        return (
            0
            if ex["ours_exact_records"] == ex["pages"]
            and all(r["status"] == 0 for runs in tp["runs"].values() for r in runs)
            else 1
        )
    m = machine()
    print("extraction…", flush=True)
    ex = extraction.run(count=600, rounds=3)
    before = None
    if args.before:
        before = {**extraction_at(args.before, 600, 3), "revision": args.before}
    if args.only_extraction:
        # The Machine section stays the full run's: this section names its own machine.
        own = f"Measured on its own ({m['date']}, {m['cpu']}, commit {m['commit']}), apart from the other sections.\n\n"
        for title, section in split_sections(render(m, ex, before, None, None)):
            if title.startswith("## 1."):
                head, rest = section.split("\n\n", 1)
                write_section(title, f"{head}\n\n{own}{rest}")
        print(RESULTS.read_text("utf-8"))
        return 0
    print("throughput…", flush=True)
    tp = crawl.throughput(articles=2000, rounds=2)
    print("memory…", flush=True)
    mem = crawl.memory()
    text = render(m, ex, before, tp, mem)
    if not args.no_cluster:
        print("several workers…", flush=True)
        several = cluster.run()
        cluster.versions(several)
        text += "\n" + cluster.render(m, several, "python -m bench.run")
    for title, section in split_sections(text):
        write_section(title, section)
    print(RESULTS.read_text("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
