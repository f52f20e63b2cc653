"""The bannedbook.org spider: crawling decisions only; extraction lives in the loader."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from newsspider import config
from newsspider.cluster import DEDUPE_KEY
from newsspider.extensions import CrawlState
from newsspider.loaders import load_article
from newsspider.middlewares import Blocked
from newsspider.sites import bannedbook as site
from newsspider.spiders.base import NewsSpider
from newsspider.urls import canonical_url, join_url


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


# Related lists of articles fetched too deep to follow, kept in case a listing reaches the article
# later (then it is zero hops from a listing); bounded so that an archive crawl stays in memory.
UNEXPANDED_MAX = 100_000


class BannedbookSpider(NewsSpider):
    """Category archives -> article pages -> their related articles.

    Arguments (``-a``): ``start_urls`` (comma-separated; the crawl stays on their hosts),
    ``max_pages`` (listing pages per start URL, 0 = no limit), ``since`` (YYYY-MM-DD),
    ``related_depth`` (hops of related links followed from listed or given articles).
    With the crawl state on, articles already held are not fetched again (see README).
    """

    name = "bannedbook"
    arguments = ("start_urls", "max_pages", "since", "related_depth")

    def __init__(
        self,
        start_urls: str | list[str] | None = None,
        max_pages: str | int | None = None,
        since: str | None = None,
        related_depth: str | int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self._start_urls_arg = start_urls
        self._max_pages_arg = max_pages
        self._since_arg = since
        self._related_depth_arg = related_depth
        self._requested_ids: set[str] = set()  # ids whose request was really scheduled
        self._depth: dict[str, int] = {}  # fewest related hops at which each id was reached
        self._unexpanded: OrderedDict[str, list[str]] = OrderedDict()
        self.failed_articles: list[dict[str, str]] = []
        self.failed_listings: list[dict[str, str]] = []
        self.failed_starts: dict[str, str] = {}
        self.crawl_state: CrawlState | None = None  # set in start(), once the crawl's extensions exist
        self._cluster: Any = None  # the ClusterRun of a crawl with several workers, set in start()

    @classmethod
    def from_crawler(cls, crawler: scrapy.crawler.Crawler, *args: Any, **kwargs: Any) -> BannedbookSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings

        def chosen(argument: str, value: Any) -> Any:
            """The argument when given, else its setting (checked by the base class)."""
            if value is None:
                return config.setting(settings, f"NEWSSPIDER_{argument.upper()}")
            return config.argument(argument, value)

        spider.start_urls = (
            config.argument("start_urls", spider._start_urls_arg)
            if spider._start_urls_arg is not None
            else [f"{site.SITE_ROOT}/bnews/{category}/" for category in site.CATEGORIES]
        )
        spider.allowed_domains = sorted({urlsplit(u).hostname for u in spider.start_urls})
        # Links are rewritten to the scheme the start URLs use for their host (http/https variants).
        spider.scheme_by_host = {urlsplit(u).hostname: urlsplit(u).scheme for u in spider.start_urls}
        spider.max_pages = chosen("max_pages", spider._max_pages_arg)
        spider.since = chosen("since", spider._since_arg or None)
        spider.related_depth = chosen("related_depth", spider._related_depth_arg)
        spider.refresh_after = config.setting(settings, "NEWSSPIDER_REFRESH_AFTER")
        spider.recent_days = config.setting(settings, "NEWSSPIDER_REFRESH_RECENT_DAYS")
        spider.recent_every = config.setting(settings, "NEWSSPIDER_REFRESH_RECENT_EVERY")
        spider.now = config.clock(settings)
        spider.stop_after_known_pages = config.setting(settings, "NEWSSPIDER_STOP_AFTER_KNOWN_PAGES")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.crawl_state = self.crawler.get_extension(CrawlState)
        self._cluster = self._cluster_run()
        if hasattr(self, "state"):
            # With JOBDIR, Scrapy pickles spider.state between pause and resume: what was requested
            # and how deep must survive with the request queue, or a resumed crawl loses links.
            self._requested_ids = self.state.setdefault("requested_ids", self._requested_ids)
            self._depth = self.state.setdefault("depth", self._depth)
            self._unexpanded = self.state.setdefault("unexpanded", self._unexpanded)
        if not self.seeds_run():
            return  # a worker joining a run that another worker seeds
        if self.crawl_state is not None:
            # Links an earlier run found but did not fetch (it was killed, or the page failed);
            # they were found as related links, so they are fetched but not followed further.
            here = {urlsplit(u).netloc for u in self.start_urls}
            for url in self.crawl_state.frontier().values():
                if urlsplit(url).netloc not in here:
                    # Found while crawling another host or port (a mirror): left for a run there.
                    self._count("links/frontier_elsewhere")
                    continue
                for request in self._follow_article(url, "frontier", self._deepest()):
                    yield request
        for url in self.start_urls:
            if site.parse_article_url(url):
                for request in self._follow_article(url, "start", 0, start_url=url):
                    yield request
            else:
                yield self._listing_request(url, page=1, start_url=url)
        self.seeded()

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
        self.logger.warning("Listing page failed: %s (%s)", failure.request.url, reason)

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
            for selector in site.LISTING_ARTICLE_LINKS
            for url in (join_url(base, href) for href in response.css(selector).getall())
            if url
        ]
        dates = []
        ids = []
        held = 0
        for url in dict.fromkeys(entries):
            parsed = site.parse_article_url(canonical_url(url) or "")
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

    def _next_page(self, response: TextResponse) -> str | None:
        candidates = [response.css(selector).get() for selector in site.LISTING_NEXT_PAGE]
        candidates.append(response.xpath(site.LISTING_NEXT_PAGE_XPATH).get())
        for href in candidates:
            url = canonical_url(join_url(get_base_url(response), href) or "", self.scheme_by_host)
            if url:
                return url
        return None

    def parse_article(self, response: Response) -> Iterator[Any]:
        if not is_html(response):
            self._count("skipped/not_html")
            self._failed(response.url, "not_html")
            return
        item = load_article(response, self.name)
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
        yield from related

    def related_requests(self, response: Response, article_id: str, urls: list[str]) -> Iterator[scrapy.Request]:
        """Requests for an article page's related links, as deep as ``related_depth`` allows."""
        meta = response.request.meta if response.request is not None else {}
        # The request's own depth counts too: with several workers, this worker may know the
        # article only from a deeper link than the one another worker queued.
        hops = meta.get("depth_hops", 0)
        depth = min(self._depth.get(article_id, hops), hops, self._deepest())
        yield from self._follow_related(article_id, response.url, urls, depth)

    def _follows_related_at(self, depth: int) -> bool:
        return self.related_depth == config.UNLIMITED or depth < self.related_depth

    def _follow_related(self, article_id: str, url: str, urls: list[str], depth: int) -> Iterator[scrapy.Request]:
        followed = self._follows_related_at(depth)
        if urls and self.crawl_state is not None:
            self.crawl_state.note_related_followed(article_id, site.article_url(url), followed)
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

    def _follow_article(self, url: str, via: str, depth: int, start_url: str | None = None) -> Iterator[scrapy.Request]:
        """One request per article id, always for the simplified-Chinese, non-AMP page, ``depth``
        related hops away from a listed or given article."""
        url = canonical_url(url, self.scheme_by_host)
        parsed = site.parse_article_url(url) if url else None
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
        shallower = depth < self._depth.get(article_id, depth + 1)
        if shallower:
            self._depth[article_id] = depth
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
                via in ("listing", "start")
                and self._follows_related_at(depth)
                and self.crawl_state.is_unexpanded(article_id)
            ):
                # An earlier run reached it too deep to follow its related list: fetch it to follow it now.
                via = "expand"
            elif via != "listing" or not self._due_for_refresh(article_id, parsed.date):
                # Held articles are fetched again only from listings, once the refresh window passed.
                self._count("links/held_article")
                return
            else:
                via = "refresh"
        elif self.crawl_state is not None and via == "related":
            self.crawl_state.note_discovered(article_id, site.article_url(url))
        self._requested_ids.add(article_id)
        self._count(f"requests/article/{via}")
        yield self._article_request(site.article_url(url), via, depth, start_url)

    def _due_for_refresh(self, article_id: str, published: str) -> bool:
        """A held article a listing shows is fetched again to catch edits: one published within
        ``recent_days`` once ``recent_every`` seconds passed since its last fetch, any other once
        ``refresh_after`` passed (when set)."""
        state = self.crawl_state
        if self.refresh_after is not None and not state.fetched_since(article_id, self.refresh_after):
            return True
        cutoff = (self.now() - timedelta(days=self.recent_days)).strftime("%Y%m%d")
        return bool(self.recent_days) and published >= cutoff and not state.fetched_since(article_id, self.recent_every)

    def _expand_in_run(self, article_id: str, url: str, depth: int) -> Iterator[scrapy.Request]:
        closer = self._cluster.found_closer(article_id, depth)
        if isinstance(closer, list):
            self._count("links/expanded_from_run")
            yield from self._follow_related(article_id, url, closer, depth)

    def _article_request(self, url: str, via: str, depth: int, start_url: str | None = None) -> scrapy.Request:
        # page_kind is what the run report counts pages by; via says how the link was found.
        kind = "related" if via == "related" else "article"
        meta = {"page_kind": kind, "via": via, "depth_hops": depth, "start_url": start_url}
        parsed = site.parse_article_url(url)
        if parsed is not None:
            # One article, whichever variant (zh-tw, AMP) a worker found it by; fetched again only
            # when its related list is now to be followed and its first fetch did not follow it.
            meta[DEDUPE_KEY] = (f"article:{parsed.article_id}", url, self._follows_related_at(depth))
        return scrapy.Request(url, callback=self.parse_article, errback=self.article_failed, meta=meta)

    def _deepest(self) -> int:
        """The depth of an article whose related links are not followed."""
        return max(self.related_depth, 0) if self.related_depth != config.UNLIMITED else 0

    def article_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
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
        parsed = site.parse_article_url(request.url)
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
            site.article_url(request.url, traditional=True),
            meta.get("via", "start"),
            meta.get("depth_hops", 0),
            meta.get("start_url"),
        )
        # The same article as the page that failed: a duplicate filter keyed by article id must let it through.
        yield fallback.replace(dont_filter=True)

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
