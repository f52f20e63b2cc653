"""The bannedbook.org spider: crawling decisions only; extraction lives in the loader."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from newsspider.extensions import CrawlState
from newsspider.loaders import load_article
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


def _parse_max_pages(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        raise ValueError(f"max_pages must be a whole number >= 0 (0 = no limit), got {value!r}")
    return number


def _parse_since(value: Any) -> str | None:
    """``YYYY-MM-DD`` -> ``YYYYMMDD``, the form dates take in article URLs."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)).strftime("%Y%m%d")
    except ValueError:
        raise ValueError(f"since must be a date as YYYY-MM-DD, got {value!r}") from None


def _parse_start_urls(value: Any) -> list[str]:
    urls = value if isinstance(value, (list, tuple)) else str(value).split(",")
    urls = [u.strip() for u in urls if u and u.strip()]
    bad = [u for u in urls if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).hostname]
    if bad or not urls:
        raise ValueError(f"start_urls must be absolute http(s) URLs separated by commas, got {value!r}")
    return urls


class BannedbookSpider(NewsSpider):
    """Category archives -> article pages -> their related articles.

    Arguments (``-a``): ``start_urls`` (comma-separated; the crawl stays on their hosts),
    ``max_pages`` (listing pages per start URL, 0 = no limit), ``since`` (YYYY-MM-DD).
    With the crawl state on, articles already held are not fetched again (see README).
    """

    name = "bannedbook"

    def __init__(
        self,
        start_urls: str | list[str] | None = None,
        max_pages: str | int | None = None,
        since: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self._start_urls_arg = start_urls
        self._max_pages_arg = max_pages
        self._since_arg = since
        self._requested_ids: set[str] = set()
        self.failed_articles: list[dict[str, str]] = []
        self.crawl_state: CrawlState | None = None  # set in start(), once the crawl's extensions exist

    @classmethod
    def from_crawler(cls, crawler: scrapy.crawler.Crawler, *args: Any, **kwargs: Any) -> BannedbookSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.start_urls = (
            _parse_start_urls(spider._start_urls_arg)
            if spider._start_urls_arg
            else [f"{site.SITE_ROOT}/bnews/{category}/" for category in site.CATEGORIES]
        )
        spider.allowed_domains = sorted({urlsplit(u).hostname for u in spider.start_urls})
        # Links are rewritten to the scheme the start URLs use for their host (http/https variants).
        spider.scheme_by_host = {urlsplit(u).hostname: urlsplit(u).scheme for u in spider.start_urls}
        spider.max_pages = _parse_max_pages(
            spider._max_pages_arg if spider._max_pages_arg is not None else settings.getint("NEWSSPIDER_MAX_PAGES")
        )
        spider.since = _parse_since(spider._since_arg or settings.get("NEWSSPIDER_SINCE"))
        refresh = settings.get("NEWSSPIDER_REFRESH_AFTER")
        spider.refresh_after = None if refresh in (None, "", "None") else float(refresh)
        spider.stop_after_known_pages = max(1, settings.getint("NEWSSPIDER_STOP_AFTER_KNOWN_PAGES"))
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.crawl_state = self.crawler.get_extension(CrawlState)
        if self.crawl_state is not None:
            # Links an earlier run found but did not fetch (it was killed, or the page failed).
            for url in self.crawl_state.frontier().values():
                for request in self._follow_article(url, "frontier"):
                    yield request
        for url in self.start_urls:
            if site.parse_article_url(url):
                for request in self._follow_article(url, "start"):
                    yield request
            else:
                yield self._listing_request(url, page=1)

    def _listing_request(
        self, url: str, page: int, held_streak: int = 0, previous_entries: tuple[str, ...] = ()
    ) -> scrapy.Request:
        self._count("requests/listing_page")
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            cb_kwargs={"page": page, "held_streak": held_streak, "previous_entries": previous_entries},
            meta={"page_kind": "listing"},
        )

    def parse_listing(
        self, response: Response, page: int = 1, held_streak: int = 0, previous_entries: tuple[str, ...] = ()
    ) -> Iterator[scrapy.Request]:
        if not is_html(response):
            self._count("skipped/not_html")
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
            yield from self._follow_article(url, "listing")

        if not dates:
            self._count("pagination/stopped_no_entries")
            return
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
        if self.crawl_state is not None:
            self.crawl_state.note_fetched(item.articleId, response.url)
        yield item
        for related in item.relatedArticles:  # the loader already resolved the related list
            yield from self._follow_article(related["url"], "related")

    def _follow_article(self, url: str, via: str) -> Iterator[scrapy.Request]:
        """One request per article id, always for the simplified-Chinese, non-AMP page."""
        url = canonical_url(url, self.scheme_by_host)
        parsed = site.parse_article_url(url) if url else None
        if parsed is None:
            self._count("links/not_article")
            return
        if self.since and parsed.date < self.since:
            self._count("links/older_than_since")
            return
        if parsed.article_id in self._requested_ids:
            self._count("links/known_article")
            return
        self._requested_ids.add(parsed.article_id)
        if self._holds(parsed.article_id):
            # Held articles are fetched again only from listings, once the refresh window passed.
            if (
                via != "listing"
                or self.refresh_after is None
                or self.crawl_state.fetched_since(parsed.article_id, self.refresh_after)
            ):
                self._count("links/held_article")
                return
            via = "refresh"
        elif self.crawl_state is not None and via == "related":
            self.crawl_state.note_discovered(parsed.article_id, site.article_url(url))
        self._count(f"requests/article/{via}")
        yield self._article_request(site.article_url(url), via)

    def _article_request(self, url: str, via: str) -> scrapy.Request:
        # page_kind is what the run report counts pages by; via says how the link was found.
        kind = "related" if via == "related" else "article"
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.article_failed, meta={"page_kind": kind, "via": via}
        )

    def article_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """The simplified page failed: try the traditional-Chinese mirror once before giving up."""
        request = failure.request
        reason = failure_reason(failure)
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            # robots.txt, the offsite filter, a redirect loop or a size cap: the mirror would fare the same.
            self._count(f"articles/ignored/{reason}")
            self._failed(request.url, reason)
            self.logger.info("Article not fetched: %s (%s)", request.url, reason)
            return
        parsed = site.parse_article_url(request.url)
        if parsed is None or parsed.traditional:
            self._count("articles/unreachable")
            self._count(f"articles/failed/{reason}")
            self._failed(request.url, reason)
            self.logger.warning("Article unreachable: %s (%s)", request.url, reason)
            return
        self._count("requests/article/fallback_traditional")
        yield self._article_request(site.article_url(request.url, traditional=True), request.meta.get("via", "start"))

    def _failed(self, url: str, reason: str) -> None:
        """Articles this run could not fetch, for the run report."""
        self.failed_articles.append({"url": url, "reason": reason})

    def _holds(self, article_id: str) -> bool:
        return self.crawl_state is not None and self.crawl_state.is_held(article_id)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newsspider/{key}")
