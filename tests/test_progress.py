"""The progress line of a crawl: at the interval set, with pages, records, failures, queue and rate;
its last line (at the close) says what the run did."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from newsspider.extensions.progress import progress_line
from tests.conftest import PROJECT, SampleServerProcess, crawl_command, subprocess_env

LINE = re.compile(r"progress: (\d+) pages, (\d+) records, failures (.+?), queue (\d+), ([\d.]+) pages/s")


def test_a_crawl_shows_its_progress_line(tmp_path: Path) -> None:
    # A crawl of a few seconds (slow pages, two at a time), whatever the machine's load.
    server = SampleServerProcess(tmp_path / "requests.log", articles=40, delay=0.2)
    try:
        settings = {
            "NEWSSPIDER_PROGRESS_INTERVAL": 0.3,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
            "NEWSSPIDER_STATE_ENABLED": False,
            "NEWSSPIDER_ARCHIVE_DIR": str(tmp_path / "warc"),
            "LOG_FILE": str(tmp_path / "crawl.log"),
        }
        command = crawl_command([f"{server.base_url}/bnews/worldnews/"], settings, tmp_path / "out.jsonl")
        result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, timeout=300)
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [m for m in map(LINE.search, (tmp_path / "crawl.log").read_text("utf-8").splitlines()) if m]
    assert len(lines) >= 3  # a steady interval, then the close
    pages = [int(m[1]) for m in lines]
    assert pages == sorted(pages) and pages[0] < pages[-1]
    records = sum(1 for _ in (tmp_path / "out.jsonl").open(encoding="utf-8"))
    report = json.loads((tmp_path / "out.report.json").read_text("utf-8"))
    assert int(lines[-1][2]) == records == report["records"]["emitted"]
    assert int(lines[-1][1]) == report["pagesRequested"]["responses"]
    # Its failures are the report's (the listing links one article robots.txt forbids).
    failures = dict(part.rsplit(" ", 1) for part in lines[-1][3].split(", ")) if lines[-1][3] != "none" else {}
    assert {k: int(v) for k, v in failures.items()} == report["failures"]["byReason"] == {"robots": 1}


def test_the_line_names_failures_by_kind_and_what_is_left() -> None:
    stats = {"response_received_count": 10, "newsspider/output/records": 7, "newsspider/articles/failed/http_404": 2}
    stats["newsspider/articles/ignored/robots"] = 1
    line = progress_line(stats, queued=3, left={"sitemap entries": 120, "listing pages": 6}, seconds=2.0)
    assert line == (
        "progress: 10 pages, 7 records, failures http_404 2, robots 1, queue 3, 5.0 pages/s, "
        "~120 sitemap entries left, <= 6 listing pages left"
    )
    line = progress_line(stats, queued=None, left={}, seconds=0.0)
    assert line.endswith("failures http_404 2, robots 1, 0.0 pages/s")
