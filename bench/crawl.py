"""Crawl throughput and memory: real `scrapy crawl` runs against the sample site on 127.0.0.1.

The sample server runs in its own process with its pages cached, so that it costs the crawler's
machine as little as possible; every crawl is its own process, watched for its peak RSS.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
# The same engine settings for the full crawl and the link-only ceiling.
ENGINE = {
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
}


class Server:
    def __init__(self, articles: int):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newsspider", "serve", "--port", "0", "--articles", str(articles), "--cache"],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url = self.process.stdout.readline().split(" ", 1)[1].strip()
        from newsspider.samplesite.generator import SampleSite

        site = SampleSite(articles=articles)
        self.start_urls = site.start_urls(self.base_url)
        self.expected = len(site.public_ids)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def peak_rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_watched(command: list[str]) -> tuple[int, int]:
    """Run ``command`` in the project; its exit status and peak RSS in KiB, sampled every 20 ms."""
    process = subprocess.Popen(command, cwd=PROJECT)
    peak = 0
    while process.poll() is None:
        peak = max(peak, peak_rss_kib(process.pid))
        time.sleep(0.02)
    return process.returncode, peak


def crawl(server: Server, spider: str, settings: dict[str, Any]) -> dict[str, Any]:
    """One crawl in its own process: pages per second (from its run report) and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="newsspider-bench-") as tmp:
        feed = Path(tmp) / "items.jsonl"
        all_settings = {
            **ENGINE,
            "LOG_FILE": Path(tmp) / "crawl.log",
            "NEWSSPIDER_STATE_URI": f"sqlite:///{Path(tmp) / 'state.sqlite3'}",
            **settings,
        }
        if spider == "linkonly":
            command = [sys.executable, "-m", "scrapy", "runspider", str(PROJECT / "bench" / "linkonly.py")]
        else:
            command = [sys.executable, "-m", "scrapy", "crawl", spider]
        command += ["-a", "start_urls=" + ",".join(server.start_urls), "-O", str(feed)]
        for name, value in all_settings.items():
            command += ["-s", f"{name}={value}"]
        returncode, peak = run_watched(command)
        report = json.loads(feed.with_name("items.report.json").read_text("utf-8"))
        records = sum(1 for _ in feed.open("rb"))
    start = _seconds(report["start"])
    seconds = _seconds(report["end"]) - start
    pages = report["pagesRequested"]["responses"]
    return {
        "status": returncode,
        "pages": pages,
        "records": records,
        "seconds": seconds,
        "pages_per_second": pages / seconds,
        "peak_rss_mib": peak / 1024,
    }


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def throughput(articles: int = 2000, rounds: int = 2) -> dict[str, Any]:
    """The full crawl against the link-only spider, taking turns, best round of each."""
    results: dict[str, list[dict[str, Any]]] = {"linkonly": [], "bannedbook": []}
    with Server(articles) as server:
        for _ in range(rounds):
            results["linkonly"].append(crawl(server, "linkonly", {"NEWSSPIDER_STATE_ENABLED": False}))
            results["bannedbook"].append(crawl(server, "bannedbook", {}))
        expected = server.expected
    best = {name: max(runs, key=lambda r: r["pages_per_second"]) for name, runs in results.items()}
    return {
        "articles": expected,
        "runs": results,
        "best": best,
        "ratio": best["bannedbook"]["pages_per_second"] / best["linkonly"]["pages_per_second"],
    }


def memory(sizes: tuple[int, ...] = (2000, 5000, 10000, 20000)) -> dict[int, dict[str, Any]]:
    """Peak RSS of full crawls of growing sample sites."""
    out = {}
    for size in sizes:
        with Server(size) as server:
            out[size] = {**crawl(server, "bannedbook", {}), "expected": server.expected}
    return out
