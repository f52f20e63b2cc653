"""Listing pages and feeds: the articles they show and the next page."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from newsspider import discovery
from newsspider.spiders.base import failure_reason, is_html
from newsspider.urls import canonical_url, join_url


class Listings:
    """A part of :class:`~newsspider.spiders.sitespider.SiteSpider`: see the module."""

    def _listing_request(
        self,
        url: str,
        page: int,
        held_streak: int = 0,
        previous_entries: tuple[str, ...] = (),
        start_url: str | None = None,
        chain: str | None = None,
    ) -> scrapy.Request:
        self._count("requests/listing_page")
        # A listing's pages form a chain (its first page's URL): its page in flight tells how many
        # more it may fetch under max_pages, for the progress line.
        chain = chain or url
        self._listing_heads[chain] = page
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"page": page, "held_streak": held_streak, "previous_entries": previous_entries},
            meta={"page_kind": "listing", "start_url": start_url, "listing_chain": chain},
        )

    def listing_pages_left(self) -> int | None:
        """At most how many listing pages are left to fetch, when ``max_pages`` bounds them."""
        if not self.max_pages:
            return None
        return sum(self.max_pages - page + 1 for page in self._listing_heads.values())

    def _listing_page_done(self, response: Response) -> None:
        request = response.request
        self._listing_heads.pop(request.meta.get("listing_chain") if request is not None else None, None)

    def listing_failed(self, failure: Failure) -> None:
        self._listing_heads.pop(failure.request.meta.get("listing_chain"), None)
        reason = failure_reason(failure)
        self._count(f"listings/failed/{reason}")
        self.failed_listings.append({"url": failure.request.url, "reason": reason})
        self._start_failed(failure.request, reason)
        kind = failure.request.meta.get("page_kind", "listing")
        self.logger.warning("%s failed: %s (%s)", kind.capitalize(), failure.request.url, reason)

    def parse_listing(
        self, response: Response, page: int = 1, held_streak: int = 0, previous_entries: tuple[str, ...] = ()
    ) -> Iterator[scrapy.Request]:
        self._listing_page_done(response)
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
        for link in dict.fromkeys(entries):
            # Each link is read once here and handed on: canonical, and what the URL rule says of it.
            url = canonical_url(link, self.scheme_by_host) or ""
            parsed = self.site.parse_article_url(url)
            if parsed is not None:
                dates.append(parsed.date)
                ids.append(parsed.article_id)
                held += self.crawl_state is not None and self.crawl_state.is_settled(parsed.article_id)
            yield from self._follow_article(url, "listing", 0, read=(url, parsed))

        if page == 1 and self.site.feeds_on_pages and "feeds" in self.discover:
            yield from self._advertised_feeds(response)
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
        dated = [d for d in dates if d]
        if self.since and dated and min(dated) < self.since:
            self._count("pagination/stopped_since")
            return
        next_url = self._next_page(response)
        if next_url:
            chain = response.request.meta.get("listing_chain") if response.request is not None else None
            yield self._listing_request(next_url, page + 1, held_streak, tuple(ids), chain=chain)

    def _advertised_feeds(self, response: TextResponse) -> Iterator[scrapy.Request]:
        """The RSS and Atom feeds a listing page names in its head, read as feeds are."""
        hrefs = response.css(
            'link[rel~=alternate][type="application/rss+xml"]::attr(href),'
            ' link[rel~=alternate][type="application/atom+xml"]::attr(href)'
        ).getall()
        for href in dict.fromkeys(hrefs):
            url = canonical_url(join_url(get_base_url(response), href) or "", self.scheme_by_host)
            if url and self._on_site(url):
                self._count("requests/feed")
                meta = {"page_kind": "feed", "start_url": response.meta.get("start_url")}
                yield scrapy.Request(url, callback=self.parse_start, errback=self.listing_failed, meta=meta)

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

    def _next_page(self, response: TextResponse) -> str | None:
        candidates = [response.css(selector).get() for selector in self.site.listing_next_page]
        if self.site.listing_next_page_xpath is not None:  # a site may say it all in CSS
            candidates.append(response.xpath(self.site.listing_next_page_xpath).get())
        for href in candidates:
            url = canonical_url(join_url(get_base_url(response), href) or "", self.scheme_by_host)
            if url:
                return url
        return None
