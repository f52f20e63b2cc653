"""Export at the archive's scale: peak memory, seconds and records per second for 10,000, 100,000
and 1,000,000 synthetic records, duplicate marking on.

    python -m bench.export                     # measure, write section 9 of RESULTS.md
    python -m bench.export --sizes 10000 --no-write

Each record is a valid schema 1.2.0 record of about 4 KB (the real archive: 9 GB of JSON Lines for
2.3 million articles) with a distinct random body of 600 CJK characters; 1% of the articles are
planted copies of another (so duplicate marking has work). The records are one finished run's file.
Each export runs in a fresh process; its peak RSS is the kernel's (``wait4``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.results import write_section

SECTION = "## 9. Export at scale"
PROJECT = Path(__file__).resolve().parent.parent
SIZES = (10_000, 100_000, 1_000_000)
BODY_CHARS = 600
COPY_EVERY = 100  # one planted copy per 100 records


def write_records(path: Path, count: int, seed: int = 7) -> int:
    """``count`` records into ``path`` (and the report beside it that marks the run finished); bytes written."""
    rng = np.random.default_rng(seed)
    bodies: list[str] = []
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            if n % COPY_EVERY == COPY_EVERY - 1:
                body = bodies[int(rng.integers(0, len(bodies)))]
            else:
                codes = rng.integers(0x4E00, 0x4E00 + 3000, BODY_CHARS)
                body = "".join(map(chr, codes.tolist()))
                body = "\n".join(body[i : i + 100] for i in range(0, BODY_CHARS, 100))
            if n % 997 == 0:
                bodies.append(body)  # a few originals kept for copies
            article = str(1_000_000 + n)
            url = f"https://www.bannedbook.org/bnews/worldnews/20240620/{article}.html"
            record = {
                "url": url,
                "canonicalUrl": url,
                "articleId": article,
                "section": "worldnews",
                "inLanguage": "zh-CN",
                "headline": f"标题{article}",
                "datePublished": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "datePublishedRaw": "2024年06月20日",
                "authors": [{"name": "古莉", "nameRaw": "作者：古莉"}],
                "source": "美国之音",
                "editor": None,
                "tags": ["中国", "新闻"],
                "description": body[:60],
                "articleBody": body,
                "articleBodyHtml": "".join(f"<p>{line}</p>" for line in body.split("\n")),
                "images": [],
                "relatedArticles": [],
                "metadata": {
                    "dateDownloaded": "2026-01-01T00:00:00Z",
                    "spider": "bannedbook",
                    "contentHash": "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest(),
                    "schemaVersion": "1.2.0",
                    "version": 1,
                    "previousHash": None,
                },
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    path.with_name(path.stem + ".report.json").write_text("{}", "utf-8")
    return path.stat().st_size


def measure(count: int, folder: Path) -> dict[str, Any]:
    runs = folder / "runs"
    runs.mkdir()
    size = write_records(runs / "20260101T000000.000000Z.jsonl", count)
    command = [sys.executable, "-m", "newsspider", "export", "--input", str(runs), "--state", "none"]
    command += ["-o", str(folder / "dataset")]
    started = time.monotonic()
    child = subprocess.Popen(command, cwd=PROJECT, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    summary = child.stderr.read().strip().splitlines()[-1] if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"export of {count} records failed: {summary}")
    return {
        "records": count,
        "jsonl_bytes": size,
        "seconds": seconds,
        "rate": count / seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "duplicates": int(summary.split(" marked as duplicates")[0].rsplit(", ", 1)[1]),
    }


INDEX_CODE = """
import resource, sys
import numpy as np
from newsspider.exports.duplicates import BANDS, NUM_PERM, DuplicateIndex
count, batch = int(sys.argv[1]), 10_000
index = DuplicateIndex()
rng = np.random.default_rng(3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for start in range(0, count, batch):
    n = min(batch, count - start)
    sigs = rng.integers(0, 2**32, (n, NUM_PERM), dtype=np.uint32)
    bands = rng.integers(0, 2**32, (n, BANDS), dtype=np.uint32)
    dates = np.array([b"2024-06-20".ljust(32)] * n)
    index._store((sigs.tobytes(), bands.tobytes(), rng.bytes(8 * n), dates.tobytes()))
    index.rows += n
marks = index.marks()
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def index_memory(count: int = 1_000_000) -> float:
    """MB the duplicate index's memory grows by for ``count`` rows (random sketches), through marking."""
    result = subprocess.run(
        [sys.executable, "-c", INDEX_CODE, str(count)], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip())


def render(m: dict[str, str], rows: list[dict[str, Any]], index_mb: float, command: str) -> str:
    lines = [
        SECTION,
        "",
        f"Measured {m['date']} on {m['cpu']}, commit {m['commit']}: `{command}`.",
        "",
        "Synthetic schema 1.2.0 records of about 4 KB, each with a distinct random body of 600 CJK characters, "
        f"one in {COPY_EVERY} a planted copy of another; one finished run's file; `python -m newsspider export` "
        "to Parquet with duplicate marking on, in a fresh process (peak RSS from `wait4`). Targets: peak RSS under "
        "1 GB at 1,000,000 records, time linear in the records, at least 2,000 records/s.",
        "",
        "| records | JSON Lines | seconds | records/s | peak RSS | marked as duplicates |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['records']:,} | {r['jsonl_bytes'] / 1e6:,.0f} MB | {r['seconds']:.1f} | {r['rate']:,.0f} "
            f"| {r['peak_rss_mb']:,.0f} MB | {r['duplicates']:,} |"
        )
    lines += [
        "",
        f"The duplicate index's own memory, measured apart (1,000,000 rows of random sketches through marking, "
        f"peak RSS growth): {index_mb:,.0f} MB per million records; the full signatures (512 bytes a row) are in a "
        "file on disk.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    from bench.run import machine

    rows = []
    for count in args.sizes:
        with tempfile.TemporaryDirectory(prefix="newsspider-bench-export-") as name:
            rows.append(measure(count, Path(name)))
            print(rows[-1], file=sys.stderr)
    index_mb = index_memory()
    command = "python -m bench.export" + (
        "" if args.sizes == list(SIZES) else " --sizes " + " ".join(map(str, args.sizes))
    )
    text = render(machine(), rows, index_mb, command)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
