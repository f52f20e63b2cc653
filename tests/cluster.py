"""Workers of one run against real Redis and PostgreSQL servers, as users start them."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import psycopg

from tests.conftest import PROJECT, SampleServerProcess, crawl_command, subprocess_env
from tests.runs import ids
from tests.servers import PostgresServer, RedisServer


class Workers:
    """``scrapy crawl <site>`` processes (the spider of the site the server imitates) sharing a
    queue and a state, started at the site's first section listing; worker ``i`` writes its
    records and report under ``tmp/w<i>/``."""

    def __init__(
        self, tmp: Path, site: SampleServerProcess, redis: RedisServer, postgres: PostgresServer, database: str
    ):
        self.tmp = tmp
        self.site = site
        self.redis = redis
        self.postgres = postgres
        self.database = database
        postgres.sql("postgres", f"CREATE DATABASE {database}")
        self.template = site.model().template
        self.start_urls = [site.base_url + self.template.listing_path(self.template.sections[0])]
        self.args: list[str] = []  # spider arguments, "-a", "name=value"
        self.processes: list[subprocess.Popen] = []

    @property
    def state_uri(self) -> str:
        return self.postgres.url.rsplit("/", 1)[0] + "/" + self.database

    def command(self, worker: int, **settings: object) -> list[str]:
        folder = self.tmp / f"w{worker}"
        base = {
            "NEWSSPIDER_QUEUE_URI": self.redis.url,
            "NEWSSPIDER_STATE_URI": self.state_uri,
            "NEWSSPIDER_DEFAULT_FEED": str(folder / "%(run_id)s.jsonl"),
            "NEWSSPIDER_REPORT_URI": str(folder / "%(run_id)s.report.json"),
            "NEWSSPIDER_QUEUE_LEASE": 4,
            "NEWSSPIDER_STATE_RETRY_FOR": 2,
            "NEWSSPIDER_HOST_DELAY": 0,
            "NEWSSPIDER_HOST_CONCURRENCY": 4,
            "LOG_FILE": folder / "crawl.log",
        }
        return crawl_command(self.start_urls, {**base, **settings}, None, *self.args, spider=self.site.site)

    def start(self, count: int = 2, first: int = 0, **settings: object) -> list[subprocess.Popen]:
        started = []
        for worker in range(first, first + count):
            (self.tmp / f"w{worker}").mkdir(exist_ok=True)
            started.append(
                subprocess.Popen(
                    self.command(worker, **settings),
                    cwd=PROJECT,
                    env=subprocess_env(),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            )
        self.processes += started
        return started

    def run(self, count: int = 2, **settings: object) -> list[int]:
        """Start ``count`` workers and wait for all of them; their exit statuses."""
        return [process.wait(timeout=240) for process in self.start(count, **settings)]

    def lines(self, worker: int) -> list[str]:
        """Every record line worker ``worker`` wrote, run after run."""
        return [aid for path in sorted((self.tmp / f"w{worker}").glob("*.jsonl")) for aid in ids(path)]

    def last_run_lines(self) -> list[str]:
        """Every worker's record lines of the latest run (output files are named by run id)."""
        files = sorted(self.tmp.glob("w*/*.jsonl"), key=lambda path: path.name)
        return [aid for path in files if path.name == files[-1].name for aid in ids(path)]

    def reports(self, worker: int) -> list[dict]:
        return [json.loads(p.read_text("utf-8")) for p in sorted((self.tmp / f"w{worker}").glob("*.report.json"))]

    def records(self) -> list[tuple[str, int]]:
        """(article id, version) of every record committed to the state's records table."""
        try:
            rows = self.postgres.sql(self.database, "SELECT article_id, version FROM records ORDER BY 1, 2")
        except psycopg.errors.UndefinedTable:  # no worker has opened the state yet
            return []
        return [(row[0], row[1]) for row in rows]

    def article_fetches(self) -> list[str]:
        """Article pages the site served (any edition), one entry per request."""
        return [p for p in self.site.requested_paths() if self.template.article_id_at(p)]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def wait_until(check, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
