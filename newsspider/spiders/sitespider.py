"""The spider every site file gets: crawling decisions only; extraction lives in the loader."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from newsspider import config, discovery
from newsspider.cluster import DEDUPE_KEY
from newsspider.extensions import CrawlState
from newsspider.idset import IdSet
from newsspider.loaders import load_article
from newsspider.sites import Site
from newsspider.spiders.base import NewsSpider, failure_reason, is_html
from newsspider.state.base import stamp
from newsspider.urls import canonical_url, join_url

# How an article was found, for the ones a listing, feed or sitemap shows (the refresh policy's).
DISCOVERED_VIA = ("listing", "feed", "sitemap")
# The next sitemap is fetched before anything queued; with a shared queue, after everything queued.
SITEMAP_PRIORITY, SHARED_SITEMAP_PRIORITY = 10, -10
# Related lists of articles fetched too deep to follow, kept in case a listing reaches the article
# later (then it is zero hops from a listing); bounded so that an archive crawl stays in memory.
UNEXPANDED_MAX = 100_000


class SiteSpider(NewsSpider):
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
        # Sitemaps are read lazily: child sitemaps to fetch, and entries of fetched ones not yet
        # requested, are turned into requests only while the queue has room (NEWSSPIDER_SITEMAP_QUEUE).
        self._sitemaps: deque[tuple[str, str | None]] = deque()  # (url, its index lastmod)
        self._entries: deque[tuple[str, datetime | None]] = deque()
        self._backlog: deque[scrapy.Request] = deque()  # related links waiting for room
        self._sitemap_in_flight = 0
        self._transit = 0  # requests the pump yielded that the scheduler has not received yet
        self._sitemaps_seen: set[str] = set()
        self._sitemaps_read: dict[str, str] = {}  # child sitemap -> its index lastmod, read in full
        self.reading_sitemaps = False
        self.seeds: list[str] = []  # what the run started from: a run whose seeds all fail has failed
        self.failed_articles: list[dict[str, str]] = []
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

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.crawl_state = self.crawler.get_extension(CrawlState)
        self._cluster = self._cluster_run()
        if hasattr(self, "state"):
            # With JOBDIR, Scrapy pickles spider.state between pause and resume: what was requested
            # and how deep must survive with the request queue, or a resumed crawl loses links.
            for name in ("requested_ids", "at_top", "depth", "unexpanded", "sitemaps", "entries", "sitemaps_seen"):
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

    def _listing_request(
        self,
        url: str,
        page: int,
        held_streak: int = 0,
        previous_entries: tuple[str, ...] = (),
        start_url: str | None = None,
    ) -> scrapy.Request:
        self._count("requests/listing_page")
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"page": page, "held_streak": held_streak, "previous_entries": previous_entries},
            meta={"page_kind": "listing", "start_url": start_url},
        )

    def listing_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        self._count(f"listings/failed/{reason}")
        self.failed_listings.append({"url": failure.request.url, "reason": reason})
        self._start_failed(failure.request, reason)
        kind = failure.request.meta.get("page_kind", "listing")
        self.logger.warning("%s failed: %s (%s)", kind.capitalize(), failure.request.url, reason)

    def parse_listing(
        self, response: Response, page: int = 1, held_streak: int = 0, previous_entries: tuple[str, ...] = ()
    ) -> Iterator[scrapy.Request]:
        if not is_html(response):
            self._count("skipped/not_html")
            self._start_listing_gave_nothing(response, "not_html")
            return
        base = get_base_url(response)
        entries = [
            url
            for selector in self.site.listing_article_links
            for url in (join_url(base, href) for href in response.css(selector).getall())
            if url
        ]
        dates = []
        ids = []
        held = 0
        for url in dict.fromkeys(entries):
            parsed = self.site.parse_article_url(canonical_url(url) or "")
            if parsed is not None:
                dates.append(parsed.date)
                ids.append(parsed.article_id)
                held += self.crawl_state is not None and self.crawl_state.is_settled(parsed.article_id)
            yield from self._follow_article(url, "listing", 0)

        if not dates:
            self._count("pagination/stopped_no_entries")
            self._start_listing_gave_nothing(response, "no_article_links")
            return
        self._count("pages/listing_ok")
        if tuple(ids) == previous_entries:
            # A paginator that serves the same page under every number: a trap.
            self._count("pagination/stopped_repeating")
            return
        # Pages whose entries were all emitted before the last complete run: older pages are too.
        held_streak = held_streak + 1 if held == len(dates) else 0
        if self.crawl_state is not None and held_streak >= self.stop_after_known_pages:
            self._count("pagination/stopped_known")
            return
        if self.max_pages and page >= self.max_pages:
            self._count("pagination/stopped_max_pages")
            return
        if self.since and min(dates) < self.since:
            self._count("pagination/stopped_since")
            return
        next_url = self._next_page(response)
        if next_url:
            yield self._listing_request(next_url, page + 1, held_streak, tuple(ids))

    # --- feeds ---------------------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """A feed's items that are the site's articles; an item's time marks it changed (for the
        refresh policy) and fills in the page's date when the page gives no time."""
        feed = discovery.read_feed(response.body, response.url)
        if feed is None:
            self._discovery_failed(response, "feeds", "not_a_feed")
            return
        self._count("pages/feed_ok")
        if feed.problem:
            self._discovery_failed(response, "feeds", feed.problem, start_failed=not feed.entries)
        if not feed.entries and not feed.problem:
            self._discovery_failed(response, "feeds", "no_items")
        for entry in feed.entries:
            yield from self._follow_article(entry.url, "feed", 0, changed=entry.changed, listed_time=entry.published)

    # --- sitemaps ------------------------------------------------------------------------------

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

    def closed(self, reason: str) -> None:
        """Sitemaps read in full by a run that finished are skipped by later runs while the index
        gives them the same ``lastmod``; a failed article stays in the frontier meanwhile."""
        if reason == "finished" and self.crawl_state is not None and self._sitemaps_read:
            self.crawl_state.note_sitemaps_read(self._sitemaps_read)

    def _discovery_failed(self, response: Response, kind: str, reason: str, start_failed: bool = True) -> None:
        """A feed or sitemap that could not be read (in full): counted, reported, and a failed start
        when it was one and gave nothing."""
        self._count(f"{kind}/{reason}")
        self.failed_listings.append({"url": response.url, "reason": f"{kind.rstrip('s')}_{reason}"})
        self.logger.warning("%s %s: %s", kind[:-1].capitalize(), response.url, reason.replace("_", " "))
        if start_failed:
            self._start_failed(response.request, f"{kind.rstrip('s')}_{reason}")

    def _next_page(self, response: TextResponse) -> str | None:
        candidates = [response.css(selector).get() for selector in self.site.listing_next_page]
        candidates.append(response.xpath(self.site.listing_next_page_xpath).get())
        for href in candidates:
            url = canonical_url(join_url(get_base_url(response), href) or "", self.scheme_by_host)
            if url:
                return url
        return None

    def parse_article(self, response: Response) -> Iterator[Any]:
        yield from self._parse_article(response)
        if self.reading_sitemaps:
            yield from self._pump()  # one request done: room for the next sitemap entry

    def _parse_article(self, response: Response) -> Iterator[Any]:
        if not is_html(response):
            self._count("skipped/not_html")
            self._failed(response.url, "not_html")
            return
        item = load_article(response, self.site)
        if item is None:
            self._count("skipped/not_article_url")
            return
        self._count("pages/article_ok")
        if self.crawl_state is not None:
            self.crawl_state.note_fetched(item.articleId, response.url)
        # Related links are noted in the crawl state before the record can be emitted, so that a
        # run stopped right after emitting it still leaves them for the next run (the frontier).
        related = list(self.related_requests(response, item.articleId, [r["url"] for r in item.relatedArticles]))
        if self.crawl_state is not None:
            self.crawl_state.commit_discovered()
        yield item
        if self.reading_sitemaps and self._cluster is None:
            self._backlog.extend(related)  # queued in turn with the sitemaps' entries, within the bound
        else:
            yield from related

    def related_requests(self, response: Response, article_id: str, urls: list[str]) -> Iterator[scrapy.Request]:
        """Requests for an article page's related links, as deep as ``related_depth`` allows."""
        meta = response.request.meta if response.request is not None else {}
        # The request's own depth counts too: with several workers, this worker may know the
        # article only from a deeper link than the one another worker queued.
        hops = meta.get("depth_hops", 0)
        known = self._known_depth(article_id)
        depth = min(hops if known is None else known, hops, self._deepest())
        yield from self._follow_related(article_id, response.url, urls, depth)

    def _follows_related_at(self, depth: int) -> bool:
        return self.related_depth == config.UNLIMITED or depth < self.related_depth

    def _follow_related(self, article_id: str, url: str, urls: list[str], depth: int) -> Iterator[scrapy.Request]:
        followed = self._follows_related_at(depth)
        if urls and self.crawl_state is not None:
            self.crawl_state.note_related_followed(article_id, self.site.article_url(url), followed)
        if not followed:
            if urls and self._cluster is not None:
                closer = self._cluster.parsed_leaf(article_id, urls)
                if closer is not None:
                    # Another worker of this run found it closer to a listing while it was being fetched.
                    self._count("links/expanded_from_run")
                    yield from self._follow_related(article_id, url, urls, closer)
                    return
            if urls:
                self._unexpanded[article_id] = urls
                if len(self._unexpanded) > UNEXPANDED_MAX:
                    self._unexpanded.popitem(last=False)
            return
        for related_url in urls:
            yield from self._follow_article(related_url, "related", depth + 1)

    def _follow_article(
        self,
        url: str,
        via: str,
        depth: int,
        start_url: str | None = None,
        changed: datetime | None = None,
        listed_time: datetime | None = None,
    ) -> Iterator[scrapy.Request]:
        """One request per article id, always for the simplified-Chinese, non-AMP page, ``depth``
        related hops away from a listed or given article. ``changed`` is when a feed or sitemap
        says the article last changed; ``listed_time`` when a feed says it was published."""
        url = canonical_url(url, self.scheme_by_host)
        parsed = self.site.parse_article_url(url) if url else None
        if parsed is None:
            self._count("links/not_article")
            return
        if self.since and parsed.date < self.since:
            self._count("links/older_than_since")
            return
        if not self._on_site(url):
            # Never requested, so not "requested": the same id may still come on an on-site link.
            self._count("links/offsite_article")
            return
        article_id = parsed.article_id
        known = self._known_depth(article_id)
        shallower = known is None or depth < known
        if shallower:
            self._note_depth(article_id, depth)
        expand_in_run = self._cluster is not None and self._follows_related_at(depth)
        if article_id in self._requested_ids:
            self._count("links/known_article")
            if shallower and article_id in self._unexpanded:
                # Fetched too deep to follow its related list; this link brings it closer.
                yield from self._follow_related(article_id, url, self._unexpanded.pop(article_id), depth)
            elif shallower and expand_in_run:
                # This worker's request may have been another worker's fetch (the shared filter).
                yield from self._expand_in_run(article_id, url, depth)
            return
        if expand_in_run:
            closer = self._cluster.found_closer(article_id, depth)
            if closer is not False:
                # Another worker of this run fetches (or fetched) it without following its list.
                self._requested_ids.add(article_id)
                if isinstance(closer, list):
                    self._count("links/expanded_from_run")
                    yield from self._follow_related(article_id, url, closer, depth)
                return
        if self._holds(article_id):
            if (
                via in ("listing", "start", "feed")
                and self._follows_related_at(depth)
                and self.crawl_state.is_unexpanded(article_id)
            ):
                # An earlier run reached it too deep to follow its related list: fetch it to follow it now.
                via = "expand"
            elif via not in DISCOVERED_VIA or not self._due_for_refresh(article_id, parsed.date, changed):
                # Held articles are fetched again only when a listing, feed or sitemap shows them
                # and the refresh policy says they may have changed.
                self._count("links/held_article")
                return
            else:
                via = "refresh"
        elif self.crawl_state is not None and via in ("related", "sitemap"):
            # Kept in the frontier until emitted: the listing that shows a related link, or the
            # sitemap a later run skips as unchanged, may not bring it back.
            self.crawl_state.note_discovered(article_id, self.site.article_url(url))
        self._requested_ids.add(article_id)
        self._count(f"requests/article/{via}")
        yield self._article_request(self.site.article_url(url), via, depth, start_url, listed_time)

    def _known_depth(self, article_id: str) -> int | None:
        """The fewest related hops at which the article was reached, ``None`` before it was."""
        return 0 if article_id in self._at_top else self._depth.get(article_id)

    def _note_depth(self, article_id: str, depth: int) -> None:
        if depth == 0:
            self._at_top.add(article_id)  # a bit, not a dict entry: sitemaps list millions
            self._depth.pop(article_id, None)
        else:
            self._depth[article_id] = depth

    def _due_for_refresh(self, article_id: str, published: str, changed: datetime | None = None) -> bool:
        """A held article a listing, feed or sitemap shows is fetched again to catch edits: when
        the feed or sitemap says it changed after its last fetch; one published within
        ``recent_days`` once ``recent_every`` seconds passed since its last fetch; any other once
        ``refresh_after`` passed (when set)."""
        state = self.crawl_state
        if changed is not None and not state.fetched_after(article_id, changed):
            return True
        if self.refresh_after is not None and not state.fetched_since(article_id, self.refresh_after):
            return True
        cutoff = (self.now() - timedelta(days=self.recent_days)).strftime("%Y%m%d")
        return bool(self.recent_days) and published >= cutoff and not state.fetched_since(article_id, self.recent_every)

    def _expand_in_run(self, article_id: str, url: str, depth: int) -> Iterator[scrapy.Request]:
        closer = self._cluster.found_closer(article_id, depth)
        if isinstance(closer, list):
            self._count("links/expanded_from_run")
            yield from self._follow_related(article_id, url, closer, depth)

    def _article_request(
        self,
        url: str,
        via: str,
        depth: int,
        start_url: str | None = None,
        listed_time: datetime | None = None,
    ) -> scrapy.Request:
        # page_kind is what the run report counts pages by; via says how the link was found.
        kind = "related" if via == "related" else "article"
        meta = {"page_kind": kind, "via": via, "depth_hops": depth, "start_url": start_url}
        if listed_time is not None:
            # A feed's publication time, in the site's zone: the loader's date of last resort.
            meta["listed_time"] = listed_time.astimezone(self.site.local_zone).isoformat()
        parsed = self.site.parse_article_url(url)
        if parsed is not None:
            # One article, whichever variant (zh-tw, AMP) a worker found it by; fetched again only
            # when its related list is now to be followed and its first fetch did not follow it.
            meta[DEDUPE_KEY] = (f"article:{parsed.article_id}", url, self._follows_related_at(depth))
        return scrapy.Request(url, callback=self.parse_article, errback=self.article_failed, meta=meta)

    def _deepest(self) -> int:
        """The depth of an article whose related links are not followed."""
        return max(self.related_depth, 0) if self.related_depth != config.UNLIMITED else 0

    def article_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        yield from self._article_failed(failure)
        if self.reading_sitemaps:
            yield from self._pump()

    def _article_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """The simplified page failed: try the traditional-Chinese mirror once before giving up."""
        request = failure.request
        reason = failure_reason(failure)
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            # robots.txt, the offsite filter, a redirect loop or a size cap: the mirror would fare the same.
            self._count(f"articles/ignored/{reason}")
            self._failed(request.url, reason)
            self._start_failed(request, reason)
            self.logger.info("Article not fetched: %s (%s)", request.url, reason)
            return
        parsed = self.site.parse_article_url(request.url)
        if parsed is None or parsed.traditional:
            self._count("articles/unreachable")
            self._count(f"articles/failed/{reason}")
            self._failed(request.url, reason)
            self._start_failed(request, reason)
            self.logger.warning("Article unreachable: %s (%s)", request.url, reason)
            return
        self._count("requests/article/fallback_traditional")
        meta = request.meta
        fallback = self._article_request(
            self.site.article_url(request.url, traditional=True),
            meta.get("via", "start"),
            meta.get("depth_hops", 0),
            meta.get("start_url"),
        )
        if "listed_time" in meta:
            fallback.meta["listed_time"] = meta["listed_time"]
        # The same article as the page that failed: a duplicate filter keyed by article id must let it through.
        fallback = fallback.replace(dont_filter=True)
        if self.reading_sitemaps and self._cluster is None:
            self._backlog.appendleft(fallback)  # first in line, within the queue's bound
        else:
            yield fallback

    def _failed(self, url: str, reason: str) -> None:
        """Articles this run could not fetch, for the run report."""
        self.failed_articles.append({"url": url, "reason": reason})

    def _start_listing_gave_nothing(self, response: Response, reason: str) -> None:
        """A start listing that answered but listed no article: a failed listing, and a failed start.
        (A later page without entries is only the end of the pagination.)"""
        if response.request is not None and response.meta.get("start_url"):
            self.failed_listings.append({"url": response.url, "reason": reason})
            self._start_failed(response.request, reason)

    def _start_failed(self, request: scrapy.Request | None, reason: str) -> None:
        """A start URL that gave nothing; when all of them do, the run has failed."""
        start_url = request.meta.get("start_url") if request is not None else None
        if start_url:
            self.failed_starts.setdefault(start_url, reason)

    def _on_site(self, url: str) -> bool:
        """On a start URL's host: what the offsite filter lets through."""
        host = urlsplit(url).hostname or ""
        return any(host == domain or host.endswith("." + domain) for domain in self.allowed_domains)

    def _holds(self, article_id: str) -> bool:
        return self.crawl_state is not None and self.crawl_state.is_held(article_id)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newsspider/{key}")
