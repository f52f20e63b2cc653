"""Everything newsspider knows about www.bannedbook.org's markup, in one place: :data:`SITE`.

Spider, loader and cleaning pipeline read their selectors and URL rules from it, so a
template change on the site is a change to this file only.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

from newsspider.sites.base import ArticleUrl, Site

SITE_ROOT = "https://www.bannedbook.org"

# Main news categories crawled when the spider gets no start URLs. `fanqiang` (the site's own
# circumvention-software promotion) is deliberately absent.
CATEGORIES: tuple[str, ...] = (
    "cbnews",
    "topimagenews",
    "ccpdope",
    "cnnews",
    "cnnews/hknews",
    "taiwannews",
    "headline",
    "ssgc",
    "renquan",
    "renquan/xgmyd",
    "renquan/minyun",
    "renquan/xizang",
    "weiquan",
    "weiquan/qunti",
    "comments",
    "jinping",
    "baitai",
    "worldnews",
    "worldnews/usa",
    "finance",
)

# /bnews[/zh-tw]/<cat>[/<subcat>]/<YYYYMMDD>/<id>.html[/amp[/]]
ARTICLE_PATH_RE = re.compile(
    r"^/bnews/(?P<lang>zh-tw/)?(?P<section>[a-z0-9_-]+(?:/[a-z0-9_-]+)?)"
    r"/(?P<date>\d{8})/(?P<id>\d+)\.html(?P<amp>/amp/?)?$"
)
TRADITIONAL_PREFIX = "/bnews/zh-tw/"

# Listing pages: both templates, and the ways they point at the next page.
LISTING_ARTICLE_LINKS: tuple[str, ...] = (
    "div.postlist h4 > a::attr(href)",
    "a.posts-item-title-link::attr(href)",
)
LISTING_NEXT_PAGE: tuple[str, ...] = (
    "link[rel=next]::attr(href)",
    "div.wp-pagenavi a.nextpostslink::attr(href)",
    "div.wp-pagenavi a[rel=next]::attr(href)",
)
# The old template's pagination is a bare anchor whose only clue is its text.
LISTING_NEXT_PAGE_XPATH = (
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' wp-pagenavi ')]"
    "//a[contains(., '下一页') or contains(., '下一頁')]/@href"
)

# Discovery besides listings. WordPress serves each category's and tag's feed under its archive.
FEED_SUFFIX = "feed/"
# Paths that are feeds whatever their host: WordPress feeds, FeedBurner-style names.
FEED_PATH_RE = re.compile(r"/(?:feed|rss|atom)(?:/[a-z0-9]*)?/?$|\.(?:rss|atom)$|/feeds?/", re.I)
# Yoast (which the site used in 2020) publishes its sitemap index here; robots.txt may name others.
SITEMAP_INDEX_PATH = "/sitemap_index.xml"
SITEMAP_PATH_RE = re.compile(r"sitemap[^/]*\.xml(?:\.gz)?$", re.I)
# Child sitemaps that list no articles (Yoast's and WordPress core's names): never fetched.
SITEMAP_SKIP_RE = re.compile(
    r"/(?:page|category|post_tag|tag|author|attachment|product_cat)-sitemap\d*\.xml(?:\.gz)?$"
    r"|/wp-sitemap-(?:taxonomies|users)-",
    re.I,
)

# Article pages. The entry is found once; title, credits and tags are read relative to it.
ENTRY = "div.entry"
# The article title is the <h2> right before the notice and the entry (h2.pagetitle is a listing's).
HEADLINE_FROM_ENTRY = "preceding-sibling::h2[not(contains(@class, 'pagetitle'))][1]"
# Old article templates show the date (and time) in a div.postmeat.ac beside the entry, not in it
# (which side is not known); listings' div.postmeat.al lines are never an entry's siblings.
POSTMEAT_FROM_ENTRY = (
    "../div[contains(concat(' ', normalize-space(@class), ' '), ' postmeat ')"
    " and contains(concat(' ', normalize-space(@class), ' '), ' ac ')][1]"
)
# Offset of the site's local times, which postmeat lines do not state: the one the sample site's
# article:published_time values use, an assumption until a real page shows both side by side.
LOCAL_UTC_OFFSET = "+08:00"
# Paragraph-level blocks of the entry that may carry credit lines (author, source, editor).
CREDIT_BLOCKS = ".//p | .//div"
TAGS = ".//a[@rel='tag']"
# Head metadata is read from <head> only: absolute paths cost a fifth of a search of the page.
HEADLINE_FALLBACK = "/html/head/meta[@property='og:title']/@content"
CANONICAL = "/html/head/link[@rel='canonical']/@href"
LANGUAGE: tuple[str, ...] = ("/html/@lang", "/html/head/meta[@property='og:locale']/@content")
PUBLISHED_TIME = "/html/head/meta[@property='article:published_time']/@content"
DESCRIPTION: tuple[str, ...] = (
    "/html/head/meta[@property='og:description']/@content",
    "/html/head/meta[@name='description']/@content",
)
# The related list (相关阅读 / 相關閱讀) stands inside the entry.
RELATED_LINKS = ".//ul[contains(concat(' ', normalize-space(@class), ' '), ' op-related-articles ')]/li//a"
# Titles appended to og:title / <title> by the site, removed from fallback headlines.
SITE_NAME_SUFFIX_RE = re.compile(r"\s*[-|–—]\s*中[国國]禁[闻聞][网網]$")

# What the cleaning pipeline removes from the entry, by kind (NEWSSPIDER_STRIP_SELECTORS_BASE).
STRIP_SELECTORS: dict[str, list[str]] = {
    "notice": ["p.notice", "p.notice + p"],
    "related": ["ul.op-related-articles"],
    "promo": ["ul.texttj"],
    "ads": [
        "div.banner-ads",
        "ins.adsbygoogle",
        "[id^=taboola]",
        "[id*=_ADSLOT]",
        "div.left-gg",
        "#google-related-post",
    ],
    "share": ["a[name=sharetosocial]", "div.sharethis-inline-share-buttons", "#archive-share"],
    "credit": ["p.src-info"],
    "script": ["script", "style", "noscript", "iframe", "form"],
}


def parse_article_url(url: str) -> ArticleUrl | None:
    """``None`` for anything that is not an article page URL (listings, tags, other hosts' paths)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    # Percent-encoded letters (%77orldnews) are the same path.
    match = ARTICLE_PATH_RE.match(unquote(parts.path))
    if not match:
        return None
    return ArticleUrl(
        article_id=match["id"],
        section=match["section"],
        date=match["date"],
        traditional=bool(match["lang"]),
        amp=bool(match["amp"]),
    )


def article_url(url: str, *, traditional: bool = False, parsed: ArticleUrl | None = None) -> str:
    """The plain (non-AMP) page of the article at ``url``, in the requested script (``parsed``: the
    URL's reading, when the caller has it)."""
    parts = urlsplit(url)
    parsed = parsed or parse_article_url(url)
    if parsed is None:
        raise ValueError(f"not an article URL: {url}")
    prefix = TRADITIONAL_PREFIX if traditional else "/bnews/"
    path = f"{prefix}{parsed.section}/{parsed.date}/{parsed.article_id}.html"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def feed_url(listing_url: str) -> str | None:
    """The WordPress feed of a category or tag archive (``/bnews/<category>/feed/``), ``None``
    for a URL that is no archive's first page."""
    if start_kind(listing_url) != "listing":
        return None
    parts = urlsplit(listing_url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if "/page/" in path or not path.startswith("/bnews/"):
        return None
    return urlunsplit((parts.scheme, parts.netloc, path + FEED_SUFFIX, "", ""))


SITE = Site(
    name="bannedbook",
    root=SITE_ROOT,
    description="www.bannedbook.org (中国禁闻网), a WordPress aggregator of news in simplified and traditional Chinese",
    start_paths=tuple(f"/bnews/{category}/" for category in CATEGORIES),
    parse_article_url=parse_article_url,
    article_url=article_url,
    feed_url=feed_url,
    listing_article_links=LISTING_ARTICLE_LINKS,
    listing_next_page=LISTING_NEXT_PAGE,
    listing_next_page_xpath=LISTING_NEXT_PAGE_XPATH,
    feed_path_re=FEED_PATH_RE,
    sitemap_path_re=SITEMAP_PATH_RE,
    sitemap_index_path=SITEMAP_INDEX_PATH,
    sitemap_skip_re=SITEMAP_SKIP_RE,
    entry=ENTRY,
    headline_from_entry=HEADLINE_FROM_ENTRY,
    headline_fallback=HEADLINE_FALLBACK,
    canonical=CANONICAL,
    language=LANGUAGE,
    published_time=PUBLISHED_TIME,
    date_line_from_entry=POSTMEAT_FROM_ENTRY,
    credit_blocks=CREDIT_BLOCKS,
    tags=TAGS,
    description_meta=DESCRIPTION,
    related_links=RELATED_LINKS,
    site_name_suffix_re=SITE_NAME_SUFFIX_RE,
    local_utc_offset=LOCAL_UTC_OFFSET,
    strip_selectors=STRIP_SELECTORS,
    # Every page's <meta name="author"> names the site's team, never the article's writer.
    site_authors=frozenset({"編輯團隊", "编辑团队"}),
    card_notes="The site publishes material censored in mainland China; its selection is partisan, and the dataset "
    "inherits that bias.",
)
start_kind = SITE.start_kind
