"""One progress line at a steady interval (``NEWSSPIDER_PROGRESS_INTERVAL`` seconds; 0: none): pages,
records, failures by kind, the queue, the rate, and what is known to be left (sitemap entries not yet
requested, and the listing pages ``max_pages`` still allows). Logged at INFO, so it reaches cron mails
and Scrapyd logs as a plain line; with the log in a file and a terminal on stderr, the line is redrawn
in place there too.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from newsspider import config

logger = logging.getLogger(__name__)
# Pages that gave no record, by kind: as the report's failures (robots.txt, offsite and size caps included).
FAILURES = (
    "newsspider/articles/failed/",
    "newsspider/articles/ignored/",
    "newsspider/validate/dropped/",
    "newsspider/listings/failed/",
)


class Progress:
    def __init__(self, crawler: Crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()
        self.redraw = bool(crawler.settings.get("LOG_FILE")) and sys.stderr.isatty()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = config.setting(crawler.settings, "NEWSSPIDER_PROGRESS_INTERVAL")
        if not interval or not config.setting(crawler.settings, "NEWSSPIDER_RECORD_RUN"):
            raise NotConfigured
        return cls(crawler, interval)

    def spider_opened(self, spider: Spider) -> None:
        self.loop = task.LoopingCall(self.tick, spider)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.tick(spider)
        if self.redraw:
            sys.stderr.write("\n")

    def tick(self, spider: Spider) -> None:
        line = progress_line(self.crawler.stats.get_stats(), self._queued(), self._left(spider), self._seconds())
        logger.info(line)
        if self.redraw:
            sys.stderr.write("\r" + line[:200].ljust(120))
            sys.stderr.flush()

    def _seconds(self) -> float:
        return time.monotonic() - self.started

    def _queued(self) -> int | None:
        engine = self.crawler.engine
        scheduler = getattr(getattr(engine, "_slot", None), "scheduler", None)
        try:
            return len(scheduler) if scheduler is not None else None
        except TypeError:  # a scheduler that cannot count cheaply (the shared Redis queue)
            return None

    @staticmethod
    def _left(spider: Spider) -> dict[str, int]:
        """What is known to be left: sitemap entries read and not yet requested, and at most how
        many listing pages ``max_pages`` still allows."""
        left = {}
        entries = getattr(spider, "_entries", None)
        if entries:
            left["sitemap entries"] = len(entries)
        pages = spider.listing_pages_left() if hasattr(spider, "listing_pages_left") else None
        if pages:
            left["listing pages"] = pages
        return left


def progress_line(stats: dict[str, Any], queued: int | None, left: dict[str, int], seconds: float) -> str:
    """``progress: 343 pages, 320 records, failures robots 1, queue 12, 41.2 pages/s, ~120 sitemap entries
    left, <= 6 listing pages left``."""
    pages = stats.get("response_received_count", 0)
    failures = {
        key[len(prefix) :]: value for prefix in FAILURES for key, value in stats.items() if key.startswith(prefix)
    }
    parts = [f"{pages} pages", f"{stats.get('newsspider/output/records', 0)} records"]
    parts.append("failures " + (", ".join(f"{k} {v}" for k, v in sorted(failures.items())) or "none"))
    if queued is not None:
        parts.append(f"queue {queued}")
    parts.append(f"{pages / seconds if seconds else 0.0:.1f} pages/s")
    if "sitemap entries" in left:
        parts.append(f"~{left['sitemap entries']} sitemap entries left")
    if "listing pages" in left:
        parts.append(f"<= {left['listing pages']} listing pages left")
    return "progress: " + ", ".join(parts)
