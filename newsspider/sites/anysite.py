"""A site nobody wrote a file for: the :class:`Site` the ``news`` spider builds from its start URLs.

Articles are told by their URL first (a date or a long number in the path, on a start URL's host,
never a tag, author, category, search or page archive), then by the page itself (the generic reading
keeps a page only when it says it is an article: ``og:type=article``, JSON-LD ``NewsArticle``, a date, or
a long body). The article id is the first 16 hex digits of the SHA-256 of the URL's host and path
(``newsspider.urls.url_article_id``): known before the page is fetched, the same whichever
query or fragment a link adds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit, urlunsplit

from newsspider.sites.base import ArticleUrl, Site
from newsspider.urls import URL_DATE_RE, url_article_id

_LONG_ID_RE = re.compile(r"(?<!\d)\d{5,}(?!\d)")
# Archives and pages that are no articles, whatever numbers their paths hold.
_NOT_ARTICLE_RE = re.compile(
    r"/(?:tags?|topics?|authors?|category|categories|search|page|feeds?|rss|atom|keywords?|archives?|"
    r"作者|关键词|關鍵詞|标签|標籤|档案资料库|檔案資料庫|直播|再次收听|再次收聽)(?:/|$)",
    re.I,
)
_NOT_HTML_RE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|pdf|xml|gz|zip|mp[34]|css|js|json|txt)$", re.I)
_FEED_PATH_RE = re.compile(r"/(?:feed|rss|atom)(?:/[a-z0-9]*)?/?$|\.(?:rss|atom)$|/feeds?/", re.I)
_SITEMAP_PATH_RE = re.compile(r"sitemap[^/]*\.xml(?:\.gz)?$", re.I)
_SITEMAP_SKIP_RE = re.compile(
    r"(?:page|category|post_tag|tag|author|attachment)-sitemap\d*\.xml|sitemap[^/]*(?:tag|author|video)", re.I
)


def _url_rule(hosts: frozenset[str]) -> Callable[[str], ArticleUrl | None]:
    def parse_article_url(url: str) -> ArticleUrl | None:
        parts = urlsplit(url)
        path = unquote(parts.path)
        if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in hosts:
            return None
        if path.strip("/") == "" or _NOT_ARTICLE_RE.search(path) or _NOT_HTML_RE.search(path):
            return None
        dated = URL_DATE_RE.search(path)
        if dated is None and _LONG_ID_RE.search(path) is None:
            return None
        section = "".join(path.strip("/").split("/")[0].split()) or "news"
        amp = path.rstrip("/").endswith("/amp")
        return ArticleUrl(
            article_id=url_article_id(_without_amp(url) if amp else url),
            section=section,
            date="".join(dated.group(1, 3, 4)) if dated else "",  # "": the URL gives no date
            traditional=False,
            amp=amp,
        )

    return parse_article_url


def _without_amp(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, re.sub(r"/amp/?$", "", parts.path), "", ""))


def article_url(url: str, *, traditional: bool = False, parsed: ArticleUrl | None = None) -> str | None:
    """The page as linked, without AMP, query (tracking) or fragment; no other edition."""
    if traditional:
        return None
    parts = urlsplit(_without_amp(url))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def any_site(start_urls: list[str]) -> Site:
    """The site of the ``news`` spider's start URLs (their hosts are the crawl's)."""
    hosts = frozenset((urlsplit(u).hostname or "").lower() for u in start_urls)
    first = urlsplit(start_urls[0])
    return Site(
        name="news",
        root=f"{first.scheme}://{first.netloc}",
        description=f"news pages of {', '.join(sorted(hosts))}, read generically (no site file)",
        start_paths=("/",),
        parse_article_url=_url_rule(hosts),
        article_url=article_url,
        feed_url=lambda listing: None,  # feeds come from what the pages advertise
        listing_article_links=("a::attr(href)",),
        listing_next_page=("link[rel=next]::attr(href)", "a[rel=next]::attr(href)"),
        listing_next_page_xpath=None,
        feed_path_re=_FEED_PATH_RE,
        sitemap_path_re=_SITEMAP_PATH_RE,
        sitemap_index_path="/sitemap.xml",
        sitemap_skip_re=_SITEMAP_SKIP_RE,
        # No selectors: every page is read generically.
        entry="html > nosuchelement",
        headline_from_entry=".",
        headline_fallback="/html/head/meta[@property='og:title']/@content",
        canonical="/html/head/link[@rel='canonical']/@href",
        language=("/html/@lang",),
        published_time="/html/head/meta[@property='article:published_time']/@content",
        date_line_from_entry=".",
        credit_blocks=".",
        tags=".",
        description_meta=("/html/head/meta[@property='og:description']/@content",),
        related_links="//nosuchelement",
        site_name_suffix_re=re.compile(r"(?!)"),
        local_utc_offset="+00:00",
        generic_only=True,
        feeds_on_pages=True,
        default_language=("und", "und"),
    )
