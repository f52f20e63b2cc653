"""Failure accounting: every request that gave nothing, with its reason, for the report."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsspider.spiders.base import failure_reason


class Failures:
    """A part of :class:`~newsspider.spiders.sitespider.SiteSpider`: see the module."""

    def _discovery_failed(self, response: Response, kind: str, reason: str, start_failed: bool = True) -> None:
        """A feed or sitemap that could not be read (in full): counted, reported, and a failed start
        when it was one and gave nothing."""
        self._count(f"{kind}/{reason}")
        self.failed_listings.append({"url": response.url, "reason": f"{kind.rstrip('s')}_{reason}"})
        self.logger.warning("%s %s: %s", kind[:-1].capitalize(), response.url, reason.replace("_", " "))
        if start_failed:
            self._start_failed(response.request, f"{kind.rstrip('s')}_{reason}")

    def article_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        yield from self._article_failed(failure)
        if self.reading_sitemaps:
            yield from self._pump()

    def _article_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """The page failed: take the other edition's page that named it, else try the
        traditional-Chinese mirror once before giving up."""
        request = failure.request
        kept = self._other_edition_kept(request)
        if kept is not None:
            yield from self._first_in_line(kept)
            return
        reason = failure_reason(failure)
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            # robots.txt, the offsite filter, a redirect loop or a size cap: the mirror would fare the same.
            self._count(f"articles/ignored/{reason}")
            self._failed(request.url, reason)
            self._start_failed(request, reason)
            self.logger.info("Article not fetched: %s (%s)", request.url, reason)
            return
        parsed = self.site.parse_article_url(request.url)
        # The other edition, where the site can name it from the URL (not where each has its own slug).
        mirror = self.site.article_url(request.url, traditional=True) if parsed and not parsed.traditional else None
        if mirror is None:
            self._count("articles/unreachable")
            self._count(f"articles/failed/{reason}")
            self._failed(request.url, reason)
            self._start_failed(request, reason)
            self.logger.warning("Article unreachable: %s (%s)", request.url, reason)
            return
        self._count("requests/article/fallback_traditional")
        yield from self._first_in_line(self._instead_of(request, mirror))

    def _instead_of(self, request: scrapy.Request, url: str) -> scrapy.Request:
        """A request for another page of the article ``request`` was for, found as it was (how, how
        deep, from which start, the feed's time)."""
        meta = request.meta
        other = self._article_request(url, meta.get("via", "start"), meta.get("depth_hops", 0), meta.get("start_url"))
        if "listed_time" in meta:
            other.meta["listed_time"] = meta["listed_time"]
        # The same article as the page that failed: a duplicate filter keyed by article id must let it through.
        return other.replace(dont_filter=True)

    def _first_in_line(self, request: scrapy.Request) -> Iterator[scrapy.Request]:
        """Another page for an article whose page failed: first in line, within the queue's bound."""
        if self.reading_sitemaps and self._cluster is None:
            self._backlog.appendleft(request)
        else:
            yield request

    def _failed(self, url: str, reason: str) -> None:
        """Articles this run could not fetch, for the run report (and for a page of another
        edition that names one of them: it is kept, see editions.py)."""
        self.failed_articles.append({"url": url, "reason": reason})
        parsed = self.site.parse_article_url(url)
        if parsed is not None:
            self._given_up.add(parsed.article_id)

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
