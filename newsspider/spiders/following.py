"""Article pages and the links they lead to: related-link depth, what is due for a refresh, the requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import scrapy
from scrapy.http import Response

from newsspider import config
from newsspider.cluster import DEDUPE_KEY
from newsspider.loaders import load_article
from newsspider.sites import ArticleUrl
from newsspider.spiders.base import is_html
from newsspider.urls import canonical_url

# How an article was found, for the ones a listing, feed or sitemap shows (the refresh policy's).
DISCOVERED_VIA = ("listing", "feed", "sitemap")
# Related lists of articles fetched too deep to follow, kept in case a listing reaches the article
# later (then it is zero hops from a listing); bounded so that an archive crawl stays in memory.
UNEXPANDED_MAX = 100_000


class Following:
    """A part of :class:`~newsspider.spiders.sitespider.SiteSpider`: see the module."""

    def parse_article(self, response: Response) -> Iterator[Any]:
        yield from self._parse_article(response)
        if self.reading_sitemaps:
            yield from self._pump()  # one request done: room for the next sitemap entry

    def _parse_article(self, response: Response) -> Iterator[Any]:
        if not is_html(response):
            self._count("skipped/not_html")
            self._failed(response.url, "not_html")
            return
        home = self._home_edition_of(response)
        if home is not None:
            yield from self._read_in_home_edition(response, *home)
            return
        item = load_article(response, self.site)
        if item is None:
            self._count("skipped/not_article_url")
            return
        self._count("pages/article_ok")
        self._home_edition_read(item.articleId)
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
        read: tuple[str, ArticleUrl | None] | None = None,
    ) -> Iterator[scrapy.Request]:
        """One request per article id, always for the simplified-Chinese, non-AMP page, ``depth``
        related hops away from a listed or given article. ``changed`` is when a feed or sitemap
        says the article last changed; ``listed_time`` when a feed says it was published;
        ``read``, the canonical URL and its reading when the caller has them (a link is read once)."""
        if read is not None:
            url, parsed = read
        else:
            url = canonical_url(url, self.scheme_by_host) or ""
            parsed = self.site.parse_article_url(url) if url else None
        if parsed is None:
            self._count("links/not_article")
            return
        if self.since and parsed.date and parsed.date < self.since:  # an undated URL is not older
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
        if self._kept_elsewhere(article_id):
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
            self.crawl_state.note_discovered(article_id, self.site.article_url(url, parsed=parsed))
        self._requested_ids.add(article_id)
        self._count(f"requests/article/{via}")
        yield self._article_request(
            self.site.article_url(url, parsed=parsed), via, depth, start_url, listed_time, article_id
        )

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
        article_id: str | None = None,
    ) -> scrapy.Request:
        # page_kind is what the run report counts pages by; via says how the link was found.
        kind = "related" if via == "related" else "article"
        meta = {"page_kind": kind, "via": via, "depth_hops": depth, "start_url": start_url}
        if listed_time is not None:
            # A feed's publication time, in the site's zone: the loader's date of last resort.
            meta["listed_time"] = listed_time.astimezone(self.site.local_zone).isoformat()
        if article_id is None:
            parsed = self.site.parse_article_url(url)
            article_id = parsed.article_id if parsed is not None else None
        if article_id is not None:
            # One article, whichever variant (zh-tw, AMP) a worker found it by; fetched again only
            # when its related list is now to be followed and its first fetch did not follow it.
            meta[DEDUPE_KEY] = (f"article:{article_id}", url, self._follows_related_at(depth))
        return scrapy.Request(url, callback=self.parse_article, errback=self.article_failed, meta=meta)

    def _deepest(self) -> int:
        """The depth of an article whose related links are not followed."""
        return max(self.related_depth, 0) if self.related_depth != config.UNLIMITED else 0
