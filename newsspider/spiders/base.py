"""What every newsspider spider shares."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsspider import cluster, config
from newsspider.errors import BadInput
from newsspider.middlewares import Blocked


def is_html(response: Response) -> bool:
    """Scrapy guesses HTML from a URL ending in .html even when the server sent an image."""
    content_type = (response.headers.get(b"Content-Type") or b"").lower()
    return isinstance(response, TextResponse) and (not content_type or b"html" in content_type)


def failure_reason(failure: Failure) -> str:
    """A short, countable name for why a request failed."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(Blocked):
        return "blocked"
    message = failure.getErrorMessage().lower()
    if message.startswith("archive failed"):
        return "archive"
    if failure.check(IgnoreRequest):
        for words, reason in (
            ("robots.txt", "robots"),
            ("offsite", "offsite"),
            ("redirect", "redirect_loop"),
            ("maxsize", "too_large"),
            ("max size", "too_large"),
        ):
            if words in message:
                return reason
        return "ignored"
    return failure.type.__name__ if failure.type else "error"


def _records(settings: BaseSettings) -> bool:
    try:
        return config.setting(settings, "NEWSSPIDER_RECORD_RUN")
    except BadInput:
        return True  # refused with its one line once the spider checks every setting


def new_run_id() -> str:
    """UTC time to the microsecond: run ids (and so output file names) sort by start time."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


class NewsSpider(scrapy.Spider):
    # Spider arguments (-a) besides ``run_id``; Scrapyd's own start with "_" (``_job``).
    arguments: tuple[str, ...] = ()

    def __init__(self, run_id: str | None = None, **kwargs: Any):
        unknown = sorted(name for name in kwargs if not name.startswith("_"))
        if unknown:
            known = ", ".join([*self.arguments, "run_id"])
            raise BadInput(f"unknown argument {unknown[0]}={kwargs[unknown[0]]!r}: expected one of {known}")
        super().__init__(**kwargs)
        self.run_id = run_id or new_run_id()
        # Names this process's files when workers share a run (%(worker)s in feed URIs).
        self.worker = f"{socket.gethostname()}-{os.getpid()}"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        # The spider is the first thing a crawl builds: every setting is checked before anything else is.
        config.check_settings(crawler.settings)
        cluster.check(crawler.settings)
        return super().from_crawler(crawler, *args, **kwargs)

    def seeds_run(self) -> bool:
        """Whether this process queues the start requests: always, except a worker joining a run
        that another worker seeds (``NEWSSPIDER_QUEUE_URI``)."""
        run = self._cluster_run()
        return run is None or run.seeds()

    def seeded(self) -> None:
        """Every start request is queued."""
        run = self._cluster_run()
        if run is not None:
            run.seeded()

    def _cluster_run(self) -> Any:
        from newsspider.cluster.run import ClusterRun  # redis is imported only for a cluster crawl

        return self.crawler.get_extension(ClusterRun) if config.setting(self.settings, "NEWSSPIDER_QUEUE_URI") else None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        cluster.configure(settings)
        # The default feed applies only when no feed was asked for, so that `-O file.jsonl` (or a
        # Scrapyd items_dir) writes exactly one file, as in any Scrapy project without FEEDS.
        default_feed = settings.get("NEWSSPIDER_DEFAULT_FEED")
        if default_feed and _records(settings) and not settings.getdict("FEEDS"):
            settings.set("FEEDS", {default_feed: {"format": "jsonlines", "encoding": "utf-8"}}, priority="spider")
