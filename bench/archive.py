"""The raw archive: bytes per article, and re-extraction throughput on 1 and 2 cores.

python -m bench.archive            # measure, write section 8 of RESULTS.md
python -m bench.archive --no-write
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.crawl import ENGINE, PROJECT, Server
from bench.results import write_section

SECTION = "## 8. The archive and re-extraction"


def run(articles: int = 2000, rounds: int = 2) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="newsspider-bench-archive-") as name:
        tmp = Path(name)
        with Server(articles) as server:
            feed = tmp / "items.jsonl"
            command = [sys.executable, "-m", "scrapy", "crawl", "bannedbook", "-O", str(feed)]
            command += ["-a", "start_urls=" + ",".join(server.start_urls)]
            for key, value in {**ENGINE, "LOG_FILE": tmp / "crawl.log", "NEWSSPIDER_STATE_ENABLED": False}.items():
                command += ["-s", f"{key}={value}"]
            subprocess.run(command, cwd=PROJECT, check=True)
        report = json.loads((tmp / "items.report.json").read_text("utf-8"))
        records = sum(1 for _ in feed.open("rb"))
        warc = sum(p.stat().st_size for p in (tmp / "warc").glob("*.warc.gz"))
        out = {
            "articles": articles,
            "records": records,
            "responses": report["archive"]["responses"],
            "warc_bytes": warc,
            "jsonl_bytes": feed.stat().st_size,
            "jobs": {},
        }
        for _ in range(rounds):
            for jobs in (1, 2):
                started = time.monotonic()
                result = subprocess.run(
                    [sys.executable, "-m", "newsspider", "reextract", str(tmp / "warc"), "-o", str(tmp / "again.jsonl")]
                    + ["--jobs", str(jobs)],
                    cwd=PROJECT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                seconds = time.monotonic() - started
                rate = records / seconds
                out["jobs"][jobs] = max(out["jobs"].get(jobs, 0.0), rate)
                out.setdefault("summary", result.stderr.strip().splitlines()[-1])
    return out


def render(m: dict[str, str], res: dict[str, Any], command: str) -> str:
    per = res["warc_bytes"] / res["records"]
    one, two = res["jobs"][1], res["jobs"][2]
    return "\n".join(
        [
            SECTION,
            "",
            f"Measured {m['date']} on {m['cpu']}, commit {m['commit']}: `{command}`.",
            "",
            f"A crawl of a {res['articles']}-article sample site (about 40 KB a page) with the archive on: "
            f"{res['responses']} responses archived in {res['warc_bytes']:,} bytes of WARC, "
            f"**{per / 1024:.1f} KB per article** (listings and robots.txt included; the JSON Lines record: "
            f"{res['jsonl_bytes'] / res['records'] / 1024:.1f} KB).",
            "",
            "Re-extraction of that archive (`python -m newsspider reextract`), wall time of the whole command "
            "(start-up, reading the archive, extraction, writing), best of the rounds:",
            "",
            "| processes | pages/s | vs 1 |",
            "|---|---|---|",
            f"| 1 | {one:.0f} | 1.00x |",
            f"| 2 | {two:.0f} | {two / one:.2f}x |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    from bench.run import machine

    res = run(args.articles)
    text = render(machine(), res, "python -m bench.archive " + " ".join(argv or sys.argv[1:]))
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
