"""Test-only Scrapy components, loaded into real crawls with ``-s``.

``RequestRecorder`` sits last in the downloader middleware chain, after robots.txt and the
offsite filter, so it sees every request that would really go out on the network. When the
spider closes it writes those URLs and the crawl's stats to ``PROBE_FILE`` as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

from scrapy import signals


class RequestRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        self.path = Path(crawler.settings.get("PROBE_FILE"))
        self.urls: list[str] = []
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        self.urls.append(request.url)

    def spider_closed(self, spider, reason):
        stats = {k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}
        self.path.write_text(json.dumps({"requests": self.urls, "stats": stats, "reason": reason}), "utf-8")
