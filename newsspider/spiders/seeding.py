"""Where a crawl starts: its start URLs, what each turns out to be, robots.txt."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from newsspider import discovery
from newsspider.extensions import CrawlState
from newsspider.spiders.base import failure_reason, is_html


class Seeding:
    """A part of :class:`~newsspider.spiders.sitespider.SiteSpider`: see the module."""

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.crawl_state = self.crawler.get_extension(CrawlState)
        self._cluster = self._cluster_run()
        if hasattr(self, "state"):
            # With JOBDIR, Scrapy pickles spider.state between pause and resume: what was requested
            # and how deep must survive with the request queue, or a resumed crawl loses links.
            for name in (
                "requested_ids",
                "at_top",
                "depth",
                "unexpanded",
                "sitemaps",
                "entries",
                "sitemaps_seen",
                "edition_fallbacks",
            ):
                setattr(self, f"_{name}", self.state.setdefault(name, getattr(self, f"_{name}")))
        if not self.seeds_run():
            return  # a worker joining a run that another worker seeds
        if self.crawl_state is not None:
            # Links an earlier run found but did not fetch (it was killed, or the page failed);
            # they were found as related links, so they are fetched but not followed further.
            here = {urlsplit(root).netloc for root in self.site_roots}
            for url in self.crawl_state.frontier().values():
                if urlsplit(url).netloc not in here:
                    # Found while crawling another host or port (a mirror): left for a run there.
                    self._count("links/frontier_elsewhere")
                    continue
                for request in self._follow_article(url, "frontier", self._deepest()):
                    yield request
        for request in self._seed_requests():
            yield request
        self.seeded()

    def _seed_requests(self) -> Iterator[scrapy.Request]:
        """The start URLs as the discovery modes ask: listings as given (a feed, sitemap or
        robots.txt given is read as what it is), the listings' feeds, the sites' sitemaps."""
        for url in self.start_urls:
            kind = self.site.start_kind(url, self.feed_hosts)
            if kind == "article":
                self.seeds.append(url)
                yield from self._follow_article(url, "start", 0, start_url=url)
            elif kind != "listing":
                yield self._seed(url, kind)
            else:
                if "listings" in self.discover:
                    yield self._seed(url, "listing")
                feed = self.site.feed_url(url) if "feeds" in self.discover else None
                if feed:
                    yield self._seed(feed, "feed")
        if "sitemaps" in self.discover:
            for root in self.site_roots:
                yield self._seed(root + "/robots.txt", "robots")

    def _seed(self, url: str, kind: str) -> scrapy.Request:
        self.seeds.append(url)
        if kind == "listing":
            # Its content decides: a feed or sitemap at a URL that looks like a listing is read as one.
            return self._listing_request(url, page=1, start_url=url).replace(callback=self.parse_start, cb_kwargs={})
        self._count(f"requests/{kind}")
        meta: dict[str, Any] = {"page_kind": kind, "start_url": url}
        if urlsplit(url).hostname in self.feed_hosts:
            meta["allow_offsite"] = True  # the feed itself, and nothing else on its host
        if kind == "robots":
            return scrapy.Request(url, callback=self.parse_robots, errback=self.robots_failed, meta=meta)
        return scrapy.Request(url, callback=self.parse_start, errback=self.listing_failed, meta=meta)

    def parse_start(self, response: Response) -> Iterator[Any]:
        """A start URL that is no article: a feed, a sitemap or a listing, told by its content."""
        self._listing_page_done(response)  # a start listing may turn out a feed or a sitemap
        body = response.body
        root = discovery.root_name(body)
        kind = response.meta.get("page_kind")
        if body[:3] == discovery.GZIP_MAGIC or root in discovery.SITEMAP_ROOTS:
            yield from self.parse_sitemap(response)
        elif root in discovery.FEED_ROOTS:
            yield from self.parse_feed(response)
        elif kind in ("feed", "sitemap") and not is_html(response):
            self._discovery_failed(response, f"{kind}s", f"not_a_{kind}")  # neither XML it knows nor a page
        else:
            yield from self.parse_listing(response)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Scrapy's default callback, which ``scrapy parse`` calls: the URL tells an article or a
        robots.txt; a feed, a sitemap or a listing is told by its content."""
        kind = self.site.start_kind(response.url, self.feed_hosts)
        yield from {"article": self.parse_article, "robots": self.parse_robots}.get(kind, self.parse_start)(response)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """The robots.txt ``Sitemap:`` lines of a site, else its Yoast sitemap index."""
        urls = discovery.sitemaps_in_robots(response.body, response.url)
        if not urls:
            self._count("sitemaps/none_in_robots")
            urls = [response.urljoin(self.site.sitemap_index_path)]
        for url in urls:
            yield from self._queue_sitemap(url, None)
        yield from self._pump()

    def robots_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """No robots.txt to read: the Yoast sitemap index is the site's sitemap."""
        self._count(f"sitemaps/robots_failed/{failure_reason(failure)}")
        request = failure.request
        yield from self._queue_sitemap(urljoin(request.url, self.site.sitemap_index_path), None)
        yield from self._pump()
