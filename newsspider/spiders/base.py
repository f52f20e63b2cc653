"""What every newsspider spider shares."""

from __future__ import annotations

import scrapy
from scrapy.settings import BaseSettings


class NewsSpider(scrapy.Spider):
    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # The default feed applies only when no feed was asked for, so that `-O file.jsonl` (or a
        # Scrapyd items_dir) writes exactly one file, as in any Scrapy project without FEEDS.
        default_feed = settings.get("NEWSSPIDER_DEFAULT_FEED")
        if default_feed and not settings.getdict("FEEDS"):
            settings.set("FEEDS", {default_feed: {"format": "jsonlines", "encoding": "utf-8"}}, priority="spider")
