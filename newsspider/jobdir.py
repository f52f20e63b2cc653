"""A ``JOBDIR`` is resumed only after a run that closed cleanly.

Scrapy writes a job's request queue (``requests.queue``) and ``spider.state`` when the crawl
closes, but its duplicate filter (``requests.seen``) as it goes. A run killed (SIGKILL, OOM, a
power cut) leaves the fingerprints of requests it queued and never fetched, listings among them,
and no queue: resumed as it is, the job filters those requests out and loses what only they lead
to. A run stopped by a failed output, state or archive closes its queue, but the records of the
requests it had made are gone. Either way the job's files are set aside and the job starts again
from its start URLs, the crawl state deciding what is new (the killed run's output is replayed
first, so nothing it emitted is emitted again).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

from newsspider.errors import StateBusy
from newsspider.state.base import stamp

logger = logging.getLogger(__name__)

# Holds who runs on the JOBDIR while a run is open; empty once a run closed cleanly.
MARKER = "newsspider.run"
# Scrapy's files of a job, which only a clean close leaves consistent.
JOB_FILES = ("requests.seen", "requests.queue", "spider.state")
# Close reasons of runs that lost records after making their requests (the output, the state or the archive failed).
FAILED_CLOSES = frozenset({"output_error", "state_error", "archive_failed"})


class JobDirGuard:
    """Locks the ``JOBDIR`` for one run and restarts a job that the last run on it left unclosed."""

    def __init__(self, crawler: Crawler, jobdir: Path):
        self.crawler = crawler
        self.jobdir = jobdir
        self.marker = (jobdir / MARKER).open("a+", encoding="utf-8")
        try:
            # The kernel drops the lock with the process: a killed run never blocks the next one.
            fcntl.flock(self.marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.marker.seek(0)
            holder = self.marker.read().strip() or "another run"
            self.marker.close()
            raise StateBusy(f"the JOBDIR {jobdir} is in use by {holder}; wait for it to end") from None
        self.marker.seek(0)
        left = self.marker.read().strip()
        if left:
            self._restart(left)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobDirGuard:
        folder = job_dir(crawler.settings)  # creates the folder, as Scrapy's own components do
        if not folder:
            raise NotConfigured
        return cls(crawler, Path(folder))

    def _restart(self, left: str) -> None:
        for name in JOB_FILES:
            path = self.jobdir / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        self.crawler.stats.set_value("newsspider/jobdir/restarted", left)
        logger.warning(
            "JOBDIR %s was left by a run that did not close cleanly (%s): its queue of requests is lost, so the"
            " job starts again from its start URLs (with the crawl state on, nothing emitted is emitted again)",
            self.jobdir,
            left,
        )

    def _write(self, text: str) -> None:
        self.marker.seek(0)
        self.marker.truncate()
        self.marker.write(text)
        self.marker.flush()
        os.fsync(self.marker.fileno())

    def spider_opened(self, spider: Spider) -> None:
        self._write(f"run {getattr(spider, 'run_id', '?')} (pid {os.getpid()}, started {stamp()})")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        # Scrapy saved the queue and spider.state before this signal; a failed run's are not the whole job.
        self._write(f"run {getattr(spider, 'run_id', '?')}, stopped by {reason}" if reason in FAILED_CLOSES else "")
        self.marker.close()
