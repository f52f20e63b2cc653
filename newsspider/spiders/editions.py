"""One edition per crawl, where each edition of a site has its own URL and so its own id (RFI's
``/cn/`` and ``/tw/`` slugs): a page of the other edition that names its article's page in the
crawl's own is read there instead, and kept only when that page cannot be had."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response

from newsspider.sites import ArticleUrl
from newsspider.urls import canonical_url

# Request meta: the page of the other edition is kept, its home edition's page having failed.
EDITION_KEPT = "edition_kept"


class Editions:
    """A part of :class:`~newsspider.spiders.sitespider.SiteSpider`: see the module."""

    def _home_edition_of(self, response: Response) -> tuple[str, ArticleUrl] | None:
        """The crawl's own edition's page that an article page of the other edition names
        (canonical and read), ``None`` for a page of the crawl's edition or one naming none."""
        if _meta(response).get(EDITION_KEPT):
            return None
        home = self.site.home_edition(response, response.url, self.traditional_home)
        url = canonical_url(home, self.scheme_by_host) if home else None
        parsed = self.site.parse_article_url(url) if url else None
        if url is None or parsed is None or not self._on_site(url) or parsed.article_id in self._given_up:
            return None  # a page this run could not have: this one is kept
        return url, parsed

    def _read_in_home_edition(self, response: Response, url: str, home: ArticleUrl) -> Iterator[scrapy.Request]:
        """No record from this page: its home edition's page is requested instead (unless this run
        requested it already, or holds it), and this page is remembered in case that one fails."""
        self._count("pages/other_edition")
        own = self.site.parse_article_url(response.url)
        if self.crawl_state is not None:
            # One transaction: the home page joins the frontier as this page leaves it, so that a
            # run killed now fetches the article's home page next time, and this page no more.
            self.crawl_state.note_discovered(home.article_id, self.site.article_url(url, parsed=home))
            if own is not None:
                self.crawl_state.note_superseded(own.article_id, home.article_id)
            self.crawl_state.commit_discovered()
        if self.crawl_state is None or self.crawl_state.emitted_state(home.article_id) is None:
            self._edition_fallbacks[home.article_id] = response.url
        meta = _meta(response)
        for request in self._follow_article(
            url, meta.get("via", "start"), meta.get("depth_hops", 0), meta.get("start_url"), read=(url, home)
        ):
            yield from self._first_in_line(request)

    def _kept_elsewhere(self, article_id: str) -> bool:
        """An earlier run read this id's page in the other edition's, and holds the article there:
        the link is not fetched again."""
        if self.crawl_state is None or self.site.edition_links is None or self.crawl_state.kept_as(article_id) is None:
            return False
        self._count("links/other_edition_held")
        return True

    def _home_edition_read(self, article_id: str) -> None:
        """The article's page gave its record: the other edition's page is not needed."""
        self._edition_fallbacks.pop(article_id, None)

    def _other_edition_kept(self, request: scrapy.Request) -> scrapy.Request | None:
        """For a home edition's page that failed, the other edition's page that named it, fetched
        again to be kept (its article would be lost otherwise); ``None`` when no page named it."""
        parsed = self.site.parse_article_url(request.url)
        other = self._edition_fallbacks.pop(parsed.article_id, None) if parsed is not None else None
        if other is None:
            return None
        self._count("requests/article/other_edition_kept")
        other_parsed = self.site.parse_article_url(other)
        if self.crawl_state is not None and other_parsed is not None:
            # Kept under the other edition's id: in the frontier until emitted, in the failed page's stead.
            self.crawl_state.note_discovered(other_parsed.article_id, other)
            self.crawl_state.note_superseded(parsed.article_id, other_parsed.article_id)
            self.crawl_state.commit_discovered()
        kept = self._instead_of(request, other)
        kept.meta[EDITION_KEPT] = True
        return kept


def _meta(response: Response) -> dict:
    return response.request.meta if response.request is not None else {}
