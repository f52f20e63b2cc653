"""What every newsspider spider shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.settings import BaseSettings


def new_run_id() -> str:
    """UTC time to the microsecond: run ids (and so output file names) sort by start time."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


class NewsSpider(scrapy.Spider):
    def __init__(self, run_id: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.run_id = run_id or new_run_id()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # The default feed applies only when no feed was asked for, so that `-O file.jsonl` (or a
        # Scrapyd items_dir) writes exactly one file, as in any Scrapy project without FEEDS.
        default_feed = settings.get("NEWSSPIDER_DEFAULT_FEED")
        if default_feed and not settings.getdict("FEEDS"):
            settings.set("FEEDS", {default_feed: {"format": "jsonlines", "encoding": "utf-8"}}, priority="spider")
