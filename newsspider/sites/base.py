"""What a site file declares: one :class:`Site`, read by the crawl machinery, the loader, the
cleaning pipeline, re-extraction and export. Nothing outside ``sites/`` and ``spiders/`` names a
particular site: they get the :class:`Site` of the spider they run for.

A site is data (selectors, patterns, constants) plus a few small functions for what data cannot
say (how an article URL is read, which URL to fetch for it, where a listing's feed is).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from newsspider.processors import site_date_text
from newsspider.urls import join_url


class ArticleUrl(NamedTuple):
    """What an article URL says of its article before the page is fetched."""

    article_id: str
    section: str
    date: str  # YYYYMMDD, as in the URL; "" when the URL gives none (a site with no file)
    traditional: bool  # the traditional-script edition
    amp: bool


# The selectors NEWSSPIDER_SITE_SELECTORS may replace without editing the site file, and their language.
SELECTOR_FIELDS: dict[str, str] = {
    "entry": "css",
    "headline_from_entry": "xpath",
    "headline_fallback": "xpath",
    "canonical": "xpath",
    "published_time": "xpath",
    "modified_time": "xpath",
    "date_line_from_entry": "xpath",
    "credit_blocks": "xpath",
    "byline": "xpath",
    "byline_name": "xpath",
    "tags": "xpath",
    "related_links": "xpath",
    "listing_article_links": "css list",
    "listing_next_page": "css list",
    "description_meta": "xpath list",
    "image_credit": "css list",
}


@dataclass(frozen=True)
class Site:
    name: str  # the spider's name, and every record's metadata.spider
    root: str  # scheme and host, no trailing slash: where the default start paths are
    description: str  # one sentence for the dataset card: what the site is
    start_paths: tuple[str, ...]  # listings crawled when the spider is given no start URLs
    # Article URLs: is this an article and who is it (None for anything else); the plain page to
    # fetch for it, in the given script (no AMP, no tracking; None for a script whose URL cannot be
    # derived, as where each edition has its own slug).
    parse_article_url: Callable[[str], ArticleUrl | None]
    article_url: Callable[..., str | None]
    # The feed of a listing's archive (None when it has none): discovered beside the listing.
    feed_url: Callable[[str], str | None]
    # Listing pages: article links and the next page (CSS, then an XPath for what CSS cannot say).
    listing_article_links: tuple[str, ...]
    listing_next_page: tuple[str, ...]
    listing_next_page_xpath: str | None
    # Discovery conventions: what is a feed or a sitemap by its path, the sitemap index robots.txt
    # may not name, and child sitemaps that list no articles.
    feed_path_re: re.Pattern[str]
    sitemap_path_re: re.Pattern[str]
    sitemap_index_path: str
    sitemap_skip_re: re.Pattern[str]
    # Article pages: the entry is found once (CSS) and its fields read relative to it (XPath);
    # head metadata by absolute XPaths.
    entry: str
    headline_from_entry: str
    headline_fallback: str
    canonical: str
    language: tuple[str, ...]
    published_time: str
    date_line_from_entry: str  # a visible date (and time) line (or an attribute), read in the site's zone
    credit_blocks: str
    tags: str
    description_meta: tuple[str, ...]
    related_links: str
    site_name_suffix_re: re.Pattern[str]  # what the site appends to titles
    local_utc_offset: str  # the site's zone, for times the pages give without one: "+08:00"
    strip_selectors: dict[str, list[str]] = field(default_factory=dict)  # cleaning, by kind
    # The date line's date and time (e.g. 'YYYY年MM月DD日 HH:MM', or an ISO value), from its text.
    date_line_text: Callable[[str | None], str | None] = site_date_text
    modified_time: str = "/html/head/meta[@property='article:modified_time']/@content"
    # A byline beside the text (XPath from the entry to each author's block, then to the name in
    # it); credit lines inside the text are read besides (credit_blocks).
    byline: str | None = None
    byline_name: str = "."
    # The photo credit inside an image's caption (CSS, e.g. the caption's second span): images'
    # ``credit``, kept out of their ``caption``. The spider sets it as NEWSSPIDER_IMAGE_CREDIT_SELECTORS.
    image_credit: tuple[str, ...] = ()
    # Names the site puts in every page's author meta: no article's author (for the generic reading).
    site_authors: frozenset[str] = frozenset()
    # A site with no file (the news spider): every article page is read generically, and kept only
    # when the page says it is an article; listings' advertised feeds are read (discover=feeds).
    generic_only: bool = False
    feeds_on_pages: bool = False
    card_notes: str = ""  # what a dataset card says of the site's selection and its biases
    default_language: tuple[str, str] = ("zh-CN", "zh-TW")  # the simplified and traditional editions
    # Where each edition has its own URL and so its own id (its own slug): how a URL tells the
    # traditional edition (its path, decoded), and where a page names its article's page in the
    # simplified and in the traditional edition (XPaths). A crawl keeps one edition: a page of the
    # other that names its article's page in the crawl's own is read there instead.
    traditional_path_re: re.Pattern[str] | None = None
    edition_links: tuple[str, str] | None = None

    @property
    def host(self) -> str:
        """The site's own host: every record's ``site``, whichever mirror it was fetched from."""
        return urlsplit(self.root).hostname or self.root

    @property
    def local_zone(self) -> tzinfo:
        zone = datetime.strptime(self.local_utc_offset, "%z").tzinfo
        assert zone is not None
        return zone

    def with_selectors(self, overrides: dict[str, str | list[str]]) -> Site:
        """The site with some selectors replaced (``NEWSSPIDER_SITE_SELECTORS``, checked by config)."""
        return replace(
            self,
            **{name: tuple(v) if SELECTOR_FIELDS[name].endswith("list") else v for name, v in overrides.items()},
        )

    def settings(self) -> dict[str, object]:
        """The settings the site's spider (and re-extraction for it) sets, at the spider's priority:
        ``-s`` still overrides them."""
        return {
            "NEWSSPIDER_STRIP_SELECTORS_BASE": self.strip_selectors,
            "NEWSSPIDER_IMAGE_CREDIT_SELECTORS": list(self.image_credit),
        }

    def start_urls(self, root: str | None = None) -> list[str]:
        """The default start URLs, on ``root`` (a mirror) or the site's own host."""
        return [f"{(root or self.root).rstrip('/')}{path}" for path in self.start_paths]

    def is_traditional(self, url: str) -> bool:
        """The URL (an article's, a listing's, a feed's) is of the traditional edition."""
        parsed = self.parse_article_url(url)
        if parsed is not None:
            return parsed.traditional
        return bool(self.traditional_path_re and self.traditional_path_re.search(unquote(urlsplit(url).path)))

    def home_edition(self, page: Any, url: str, traditional_home: bool = False) -> str | None:
        """The URL of the article's page in the home edition (simplified unless ``traditional_home``)
        that ``page`` (a response or selector of the article page at ``url``) names, when the page is
        of the other edition and names one under another id; ``None`` otherwise."""
        parsed = self.parse_article_url(url)
        if self.edition_links is None or parsed is None or parsed.traditional == traditional_home:
            return None
        for link in page.xpath(self.edition_links[int(traditional_home)]).getall():
            home = join_url(url, link)
            found = self.parse_article_url(home) if home else None
            if found is not None and found.traditional == traditional_home and found.article_id != parsed.article_id:
                return home
        return None

    def start_kind(self, url: str, feed_hosts: frozenset[str] = frozenset()) -> str:
        """What a start URL most likely is, before it is fetched: ``article``, ``robots``,
        ``sitemap``, ``feed`` or ``listing``. (The answer decides only how the request is counted
        and whether its host is crawled; the response's content decides how it is read.)"""
        if self.parse_article_url(url):
            return "article"
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return "robots"
        if self.sitemap_path_re.search(parts.path):
            return "sitemap"
        if (parts.hostname or "") in feed_hosts or self.feed_path_re.search(parts.path):
            return "feed"
        return "listing"
