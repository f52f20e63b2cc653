"""Running `scrapy crawl <site>` as a user does, for the tests of what a run promises."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

from newsspider.samplesite.generator import SampleSite
from tests.conftest import PROJECT, SMALL_SITE, SampleServerProcess, crawl_command, subprocess_env

SMALL = SMALL_SITE


def reachable(site: SampleSite, section: str | None = None, pages: int = 0, depth: int = 1) -> set[str]:
    """Article ids a crawl of ``section``'s listing (the site's first section unless named) must
    emit: the listed ones on the first ``pages`` pages (0 = all) and what ``depth`` hops of
    related links reach from them."""
    section = section or site.template.sections[0]
    entries = site.listing(section)
    if pages:
        entries = entries[: site.template.page_size(section) * pages]
    frontier = {a.article_id for a in entries if a.kind == "listed"}
    found = set(frontier)
    for _ in range(depth):
        frontier = {rid for aid in frontier for rid, _ in site.articles[aid].related} - found
        found |= frontier
    return found


class Runs:
    """Crawls of one start URL (a section's listing, the site's first unless named) by the spider
    of the site the server imitates, sharing a state and a report folder under ``tmp``."""

    def __init__(self, server: SampleServerProcess, tmp: Path, section: str | None = None, **settings: object):
        self.server = server
        self.tmp = tmp
        self.state = tmp / "state.sqlite3"
        template = server.model().template
        self.start_urls = [server.base_url + template.listing_path(section or template.sections[0])]
        self.settings = {
            "NEWSSPIDER_STATE_URI": f"sqlite:///{self.state}",
            "NEWSSPIDER_REPORT_URI": str(tmp / "reports" / "%(run_id)s.report.json"),
            "NEWSSPIDER_DEFAULT_FEED": str(tmp / "output" / "%(run_id)s.jsonl"),
            # A run whose output is no file (/dev/full, stdout) would archive under the project's output/.
            "NEWSSPIDER_ARCHIVE_DIR": str(tmp / "warc"),
            "LOG_FILE": tmp / "crawl.log",
            **settings,
        }

    def command(self, *args: str, start_urls: list[str] | None = None, **settings: object) -> list[str]:
        settings = {**self.settings, **settings}
        return crawl_command(start_urls or self.start_urls, settings, None, *args, spider=self.server.site)

    def run(self, *args: str, **settings: object) -> subprocess.CompletedProcess:
        command = self.command(*args, **settings)
        return subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, timeout=300)

    def start(self, *args: str, **settings: object) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(*args, **settings), cwd=PROJECT, env=subprocess_env(), stdout=subprocess.PIPE
        )

    def last_report(self) -> dict:
        reports = sorted((self.tmp / "reports").glob("*.report.json")) + sorted(self.tmp.glob("*.report.json"))
        return json.loads(max(reports, key=lambda p: p.stat().st_mtime).read_text("utf-8"))

    def emitted_in_state(self) -> set[str]:
        with sqlite3.connect(self.state) as db:
            return {row[0] for row in db.execute("SELECT article_id FROM articles WHERE version > 0")}


def ids(path: Path) -> list[str]:
    """Article ids of a JSON Lines file; every line must be a complete record."""
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), f"{path.name} ends in a torn line"
    return [json.loads(line)["articleId"] for line in data.splitlines()]


def wait_for_lines(path: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not (path.exists() and path.read_bytes().count(b"\n") >= count):
        assert process.poll() is None, "the crawl ended too early"
        assert time.monotonic() < deadline, f"no {count} lines in {path}"
        time.sleep(0.02)


def refused(result: subprocess.CompletedProcess, status: int, *words: str) -> str:
    """The one-line refusal on stderr, with no traceback."""
    stderr = result.stderr.decode("utf-8")
    lines = [line for line in stderr.splitlines() if line.startswith("newsspider: error:")]
    assert result.returncode == status, stderr[-2000:]
    assert len(lines) == 1, stderr[-2000:]
    assert "Traceback" not in stderr and "Task exception" not in stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]
