"""Sitemaps read lazily: child sitemaps and their entries become requests only while the queue has room."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from newsspider import discovery
from newsspider.state.base import stamp
from newsspider.urls import canonical_url

# The next sitemap is fetched before anything queued; with a shared queue, after everything queued.
SITEMAP_PRIORITY, SHARED_SITEMAP_PRIORITY = 10, -10


class SitemapPump:
    """A part of :class:`~newsspider.spiders.sitespider.SiteSpider`: see the module."""

    def _queue_sitemap(self, url: str, lastmod: datetime | None) -> Iterator[scrapy.Request]:
        """A sitemap to read once, on the site's hosts, within the count cap; one the index says is
        unchanged since a finished run read it in full is skipped. (A sitemap found in robots.txt
        or an index that fails is reported; it fails no start URL: a run that finds no article at
        all fails by the ``no_articles`` alarm.)"""
        url = canonical_url(url, self.scheme_by_host) or ""
        if not url or url in self._sitemaps_seen:
            return
        if not self._on_site(url):
            self._count("sitemaps/offsite")
            return
        if self.site.sitemap_skip_re.search(urlsplit(url).path):
            self._count("sitemaps/skipped_no_articles")
            return
        if len(self._sitemaps_seen) >= self.sitemap_max_files:
            self._count("sitemaps/over_max_files")
            self.failed_listings.append({"url": url, "reason": "sitemap_over_max_files"})
            return
        self._sitemaps_seen.add(url)
        mark = stamp(lastmod) if lastmod is not None else None
        if mark and self.crawl_state is not None and self.crawl_state.sitemap_read(url, mark):
            self._count("sitemaps/unchanged")
            return
        self._sitemaps.append((url, mark))
        if self._cluster is not None:
            # The shared queue holds everything; a sitemap is taken when no article request waits.
            yield self._sitemap_request(*self._sitemaps.popleft(), priority=SHARED_SITEMAP_PRIORITY)

    def _sitemap_request(self, url: str, mark: str | None, priority: int) -> scrapy.Request:
        self._count("requests/sitemap")
        self._sitemap_in_flight += 1
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=self.sitemap_failed,
            priority=priority,
            meta={"page_kind": "sitemap", "index_lastmod": mark, "in_flight": True},
        )

    def sitemap_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        if failure.request.meta.get("in_flight"):
            self._sitemap_in_flight -= 1
        self.listing_failed(failure)
        yield from self._pump()

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """A sitemap index's sitemaps, or a sitemap's article pages that are new or changed since
        their last fetch (``lastmod``), read as the queue drains."""
        if response.meta.get("in_flight"):
            self._sitemap_in_flight -= 1  # a sitemap the pump sent (a start URL is not counted)
        try:
            body = discovery.unpack(response.body, self.sitemap_max_bytes)
        except discovery.TooLarge:
            self._discovery_failed(response, "sitemaps", "too_large")
            yield from self._pump()
            return
        sitemap = discovery.read_sitemap(body, response.url, self.sitemap_max_urls)
        if sitemap is None:
            self._discovery_failed(response, "sitemaps", "not_a_sitemap")
            yield from self._pump()
            return
        self._count("pages/sitemap_ok")
        if sitemap.problem:
            self._discovery_failed(response, "sitemaps", sitemap.problem, start_failed=not sitemap.entries)
        self.reading_sitemaps = True
        if sitemap.kind == "sitemapindex":
            for entry in sitemap.entries:
                yield from self._queue_sitemap(entry.url, entry.changed)
        else:
            if self.crawl_state is not None:
                self.crawl_state.prefetch(
                    parsed.article_id for entry in sitemap.entries if (parsed := self.site.parse_article_url(entry.url))
                )
            self._entries.extend((entry.url, entry.changed) for entry in sitemap.entries)
            if response.meta.get("index_lastmod") and not sitemap.problem:
                self._sitemaps_read[response.url] = response.meta["index_lastmod"]
        yield from self._pump()

    def _queued(self) -> int:
        try:
            scheduler = self.crawler.engine.scheduler
        except RuntimeError:  # no engine: the spider driven outside a crawl
            return 0
        return len(scheduler) if scheduler is not None else 0

    def _pump(self) -> Iterator[scrapy.Request]:
        """Requests for what sitemaps listed while fewer than ``sitemap_queue`` requests are queued,
        then the next sitemap once the last one's entries are all requested. (With a shared queue
        everything goes to it at once: it lives in Redis, and a worker may vanish.)"""
        while self._backlog and self._has_room():
            yield self._in_transit(self._backlog.popleft())
        while self._entries and self._has_room():
            url, lastmod = self._entries.popleft()
            for request in self._follow_article(url, "sitemap", 0, changed=lastmod):
                # One entry can bring several (an article reached deeper before: its related list).
                if self._has_room():
                    yield self._in_transit(request)
                else:
                    self._backlog.append(request)
        if not self._entries and self._sitemaps and not self._sitemap_in_flight and self._has_room():
            yield self._in_transit(self._sitemap_request(*self._sitemaps.popleft(), priority=SITEMAP_PRIORITY))

    def _has_room(self) -> bool:
        # Scrapy takes several requests from a callback before it queues the first: count those too.
        return self._cluster is not None or self._queued() + self._transit < self.sitemap_queue

    def _in_transit(self, request: scrapy.Request) -> scrapy.Request:
        """A request yielded and not queued yet (:meth:`request_scheduled` counts it off)."""
        request.meta["pumped"] = True
        self._transit += 1
        return request

    def request_scheduled(self, request: scrapy.Request) -> None:
        if request.meta.pop("pumped", False):
            self._transit -= 1

    def spider_idle(self) -> None:
        """The queue ran dry while sitemaps still list articles (all of them held, say): go on."""
        if self._cluster is not None:
            return
        # Nothing is on its way when the crawl is idle (a middleware or the duplicate filter may
        # have dropped a request these counts were waiting for).
        self._transit = self._sitemap_in_flight = 0
        requests = list(self._pump())
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests or self._sitemap_in_flight:
            raise DontCloseSpider
