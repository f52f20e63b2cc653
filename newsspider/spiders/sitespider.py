"""The spider every site file gets: crawling decisions only; extraction lives in the loader."""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.settings import BaseSettings

from newsspider import config
from newsspider.extensions import CrawlState
from newsspider.idset import IdSet
from newsspider.sites import Site
from newsspider.spiders.base import NewsSpider
from newsspider.spiders.editions import Editions
from newsspider.spiders.failures import Failures
from newsspider.spiders.following import Following
from newsspider.spiders.listings import Listings
from newsspider.spiders.seeding import Seeding
from newsspider.spiders.sitemaps import SitemapPump


class SiteSpider(Seeding, SitemapPump, Listings, Following, Editions, Failures, NewsSpider):
    """Category archives, feeds or sitemaps -> article pages -> their related articles, for the
    :class:`~newsspider.sites.Site` a subclass declares (``name`` and ``site``, nothing else).

    Arguments (``-a``): ``start_urls`` (comma-separated listings, feeds, sitemaps or articles;
    the crawl stays on their hosts, feed hosts aside), ``discover`` (listings, feeds, sitemaps),
    ``max_pages`` (listing pages per start URL, 0 = no limit), ``since`` (YYYY-MM-DD),
    ``related_depth`` (hops of related links followed from listed or given articles).
    With the crawl state on, articles already held are not fetched again (see README).
    """

    site: Site  # the subclass's
    arguments = ("start_urls", "max_pages", "since", "related_depth", "discover")

    def __init__(
        self,
        start_urls: str | list[str] | None = None,
        max_pages: str | int | None = None,
        since: str | None = None,
        related_depth: str | int | None = None,
        discover: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self._start_urls_arg = start_urls
        self._max_pages_arg = max_pages
        self._since_arg = since
        self._related_depth_arg = related_depth
        self._discover_arg = discover
        self._requested_ids = IdSet()  # ids whose request was really scheduled
        self._at_top = IdSet()  # ids reached from a listing, feed, sitemap or start URL (0 hops)
        self._depth: dict[str, int] = {}  # fewest related hops at which each other id was reached
        self._unexpanded: OrderedDict[str, list[str]] = OrderedDict()
        # Home edition's article id -> the other edition's page that named it, kept if it fails.
        self._edition_fallbacks: dict[str, str] = {}
        # Sitemaps are read lazily: child sitemaps to fetch, and entries of fetched ones not yet
        # requested, are turned into requests only while the queue has room (NEWSSPIDER_SITEMAP_QUEUE).
        self._sitemaps: deque[tuple[str, str | None]] = deque()  # (url, its index lastmod)
        self._entries: deque[tuple[str, datetime | None]] = deque()
        self._backlog: deque[scrapy.Request] = deque()  # related links waiting for room
        self._listing_heads: dict[str, int] = {}  # listing chain -> the page of it in flight
        self._sitemap_in_flight = 0
        self._transit = 0  # requests the pump yielded that the scheduler has not received yet
        self._sitemaps_seen: set[str] = set()
        self._sitemaps_read: dict[str, str] = {}  # child sitemap -> its index lastmod, read in full
        self.reading_sitemaps = False
        self.seeds: list[str] = []  # what the run started from: a run whose seeds all fail has failed
        self.failed_articles: list[dict[str, str]] = []
        self._given_up: set[str] = set()  # ids of the articles in failed_articles
        self.failed_listings: list[dict[str, str]] = []
        self.failed_starts: dict[str, str] = {}
        self.crawl_state: CrawlState | None = None  # set in start(), once the crawl's extensions exist
        self._cluster: Any = None  # the ClusterRun of a crawl with several workers, set in start()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        settings.setdict(cls.site.settings(), priority="spider")

    @classmethod
    def from_crawler(cls, crawler: scrapy.crawler.Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        overrides = config.setting(settings, "NEWSSPIDER_SITE_SELECTORS")
        if overrides:  # a repair tried before it goes into the site file
            spider.site = cls.site.with_selectors(overrides)

        def chosen(argument: str, value: Any) -> Any:
            """The argument when given, else its setting (checked by the base class)."""
            if value is None:
                return config.setting(settings, f"NEWSSPIDER_{argument.upper()}")
            return config.argument(argument, value)

        site_url = config.setting(settings, "NEWSSPIDER_SITE_URL") or cls.site.root
        spider.feed_hosts = config.setting(settings, "NEWSSPIDER_FEED_HOSTS")
        spider.start_urls = (
            config.argument("start_urls", spider._start_urls_arg)
            if spider._start_urls_arg is not None
            else cls.site.start_urls(site_url)
        )
        # The crawl stays on its start URLs' hosts; a feed host serves the feed given and nothing
        # else, so a crawl started from such feeds alone fetches their articles on the site's host.
        on_site = [u for u in spider.start_urls if urlsplit(u).hostname not in spider.feed_hosts] or [site_url]
        spider.allowed_domains = sorted({urlsplit(u).hostname for u in on_site})
        # Links are rewritten to the scheme the start URLs use for their host (http/https variants).
        spider.scheme_by_host = {urlsplit(u).hostname: urlsplit(u).scheme for u in on_site}
        # Where editions have their own ids, the crawl keeps the edition its start URLs are in (the
        # simplified one unless all are traditional).
        spider.traditional_home = cls.site.edition_links is not None and all(map(cls.site.is_traditional, on_site))
        spider.site_roots = list(dict.fromkeys(f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in on_site))
        spider.discover = chosen("discover", spider._discover_arg)
        spider.max_pages = chosen("max_pages", spider._max_pages_arg)
        spider.since = chosen("since", spider._since_arg or None)
        spider.related_depth = chosen("related_depth", spider._related_depth_arg)
        spider.refresh_after = config.setting(settings, "NEWSSPIDER_REFRESH_AFTER")
        spider.recent_days = config.setting(settings, "NEWSSPIDER_REFRESH_RECENT_DAYS")
        spider.recent_every = config.setting(settings, "NEWSSPIDER_REFRESH_RECENT_EVERY")
        spider.now = config.clock(settings)
        spider.stop_after_known_pages = config.setting(settings, "NEWSSPIDER_STOP_AFTER_KNOWN_PAGES")
        spider.sitemap_max_bytes = config.setting(settings, "NEWSSPIDER_SITEMAP_MAX_BYTES")
        spider.sitemap_max_urls = config.setting(settings, "NEWSSPIDER_SITEMAP_MAX_URLS")
        spider.sitemap_max_files = config.setting(settings, "NEWSSPIDER_SITEMAP_MAX_FILES")
        spider.sitemap_queue = config.setting(settings, "NEWSSPIDER_SITEMAP_QUEUE")
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.request_scheduled, signal=signals.request_scheduled)
        return spider

    def closed(self, reason: str) -> None:
        """Sitemaps read in full by a run that finished are skipped by later runs while the index
        gives them the same ``lastmod``; a failed article stays in the frontier meanwhile."""
        if reason == "finished" and self.crawl_state is not None and self._sitemaps_read:
            self.crawl_state.note_sitemaps_read(self._sitemaps_read)

    def _on_site(self, url: str) -> bool:
        """On a start URL's host: what the offsite filter lets through."""
        host = urlsplit(url).hostname or ""
        return any(host == domain or host.endswith("." + domain) for domain in self.allowed_domains)

    def _holds(self, article_id: str) -> bool:
        return self.crawl_state is not None and self.crawl_state.is_held(article_id)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newsspider/{key}")
