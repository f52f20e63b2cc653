"""Everything newsspider knows about RFI Chinese (www.rfi.fr/cn/, 法广) markup, in one place: :data:`SITE`.

Read off the two pages in ``../shared/corpus/rfi/`` (an article and the front page, 2025-11-30);
what no stored page shows (section listings' pagination, the feed's format, robots.txt and the
sitemaps) is an assumption, marked as one, and listed in docs/sites.md (RFI Chinese).
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from newsspider.processors import normalize_space
from newsspider.sites.base import ArticleUrl, Site

SITE_ROOT = "https://www.rfi.fr"

# The simplified edition's front page and its section navigation (the traditional edition is /tw/).
START_PATHS: tuple[str, ...] = (
    "/cn/",
    *(
        f"/cn/{section}/"
        for section in (
            "中国",
            "港澳台",
            "人权",
            "政治",
            "经贸",
            "社会",
            "生态",
            "科技与文化",
            "最新消息",
            "国际",
            "体育",
            "法新社经济",
            "健康",
        )
    ),
)

# /cn|tw/<section>[/<programme>]/<YYYYMMDD>-<slug>: no numeric id; the slug is the title's words.
ARTICLE_PATH_RE = re.compile(r"^/(?P<edition>cn|tw)/(?P<section>[^/]+(?:/[^/]+)?)/(?P<date>\d{8})-(?P<slug>[^/]+?)/?$")
# Path sections that hold no articles whatever follows them: author, keyword, live, replay and
# yearly archive pages, in both scripts.
NOT_ARTICLE_SECTIONS = frozenset(
    {"作者", "关键词", "關鍵詞", "直播", "再次收听", "再次收聽", "档案资料库", "檔案資料庫"}
)

# Listing pages: the front page's and the sections' article items (title link and image link), the
# news feed's wire items. The pagination is not known: the usual markers, rel=next first.
LISTING_ARTICLE_LINKS: tuple[str, ...] = (
    "div.m-item-list-article a::attr(href)",
    "div.m-item-news-feed a::attr(href)",
)
LISTING_NEXT_PAGE: tuple[str, ...] = (
    "link[rel=next]::attr(href)",
    "a[rel=next]::attr(href)",
    "a.m-pagination__next::attr(href)",
)

# The feed the pages advertise (<link type="application/rss+xml">), one per edition.
FEED_PATH_RE = re.compile(r"/(?:rss|feed|atom)/?$|\.(?:rss|atom)$", re.I)
# Assumed: robots.txt names the sitemaps; this index is fetched when it names none.
SITEMAP_INDEX_PATH = "/sitemap.xml"
SITEMAP_PATH_RE = re.compile(r"sitemap[^/]*\.xml(?:\.gz)?$", re.I)
# Assumed too: robots.txt of www.rfi.fr names every language's sitemaps, each under its language's path
# (/fr/, /en/, /br/...): only the Chinese editions' are read.
SITEMAP_SKIP_RE = re.compile(
    r"sitemap[^/]*(?:author|tag|keyword|video|podcast)[^/]*\.xml(?:\.gz)?$|^/(?!cn/|tw/)[a-z]{2}(?:-[a-z]+)?/", re.I
)


def _has_class(name: str) -> str:
    """An XPath test for one class among several (``contains(@class)`` would match its prefixes)."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# Article pages: the article wrapper is the entry; the tags and the related list stand after it.
ENTRY = "article.t-content__article-wrapper"
HEADLINE_FROM_ENTRY = f".//h1[{_has_class('t-content__title')}]"
HEADLINE_FALLBACK = "/html/head/meta[@property='og:title']/@content"
CANONICAL = "/html/head/link[@rel='canonical']/@href"
LANGUAGE: tuple[str, ...] = ("/html/@lang", "/html/head/meta[@property='og:locale']/@content")
PUBLISHED_TIME = "/html/head/meta[@property='article:published_time']/@content"
MODIFIED_TIME = "/html/head/meta[@property='article:modified_time']/@content"
# The visible line shows Paris time without its offset; its <time datetime> holds the UTC moment.
DATE_LINE_FROM_ENTRY = f".//div[{_has_class('t-content__dates')}]//time/@datetime"
# Paris time (CET; CEST in summer): used only for a time a page gives without its offset.
LOCAL_UTC_OFFSET = "+01:00"
BYLINE = f".//div[{_has_class('t-content__authors')}]//div[{_has_class('m-from-author')}]"
BYLINE_NAME = f".//a[{_has_class('m-from-author__name')}]"
# Credit lines inside the text (作者：, 来源：, 编辑：) are read from the body's paragraphs only.
CREDIT_BLOCKS = f".//div[{_has_class('t-content__body')}]/p"
TAGS = f"//div[{_has_class('t-content__tags')}]//a[{_has_class('a-hot-tag')}]"
# The lead (chapo) is the description; the head's description runs on past it.
DESCRIPTION: tuple[str, ...] = (
    f"/html/body//article//p[{_has_class('t-content__chapo')}]",
    "/html/head/meta[@property='og:description']/@content",
    "/html/head/meta[@name='description']/@content",
)
# 其他新闻: each item links its article twice, by image (no text) and by title; only the title's.
RELATED_LINKS = f"//aside[{_has_class('o-aside-content--related')}]//div[{_has_class('article__title')}]//a"
SITE_NAME_SUFFIX_RE = re.compile(r"\s*[-|–—]\s*(?:RFI|法广|法廣)(?:\s*[-|–—].*)?$")
# A figure's caption holds the caption and then the photo credit ("AFP - I-HWA CHENG"), one span each.
IMAGE_CREDIT: tuple[str, ...] = ("figcaption > span + span",)

# Each edition has its own slug, so its own id: the traditional edition's path, and where a page
# names its article in each edition (the real article names its /tw/ page; its own is assumed alike).
TRADITIONAL_PATH_RE = re.compile(r"^/tw(?:/|$)")
EDITION_LINKS = (
    "/html/head/link[@rel='alternate'][@hreflang='zh-Hans']/@href",
    "/html/head/link[@rel='alternate'][@hreflang='zh-Hant']/@href",
)

# What the cleaning pipeline removes from the article wrapper, by kind.
STRIP_SELECTORS: dict[str, list[str]] = {
    # The fields read beside the text: section label, title, date line, byline.
    "header": ["div.t-content__section", "h1.t-content__title", "div.t-content__dates", "div.t-content__authors"],
    "ads": ["div.m-interstitial", "div.m-block-ad", "[data-tms-ad-type]"],
    "promo": ["div.o-self-promo"],
    "share": ["div.t-content__shares"],
    "related": ["aside.o-aside-content--related"],
    "script": ["script", "style", "noscript", "iframe", "form"],
}


def parse_article_url(url: str) -> ArticleUrl | None:
    """``None`` for anything that is not an article page URL (listings, author, keyword, live pages)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    match = ARTICLE_PATH_RE.match(unquote(parts.path))
    if not match or match["section"].split("/")[0] in NOT_ARTICLE_SECTIONS:
        return None
    return ArticleUrl(
        # The date and slug: known before the page is fetched, and the same whichever section
        # path lists the article (/cn/中国/... and /cn/专栏检索/要闻分析/... are one article).
        article_id=f"{match['date']}-{match['slug'].lower()}",
        section=match["section"],
        date=match["date"],
        traditional=match["edition"] == "tw",
        amp=False,
    )


def article_url(url: str, *, traditional: bool = False, parsed: ArticleUrl | None = None) -> str | None:
    """The article's page in the edition linked (each edition has its own slug, so a link is fetched
    as it is), without query or fragment, its path percent-encoded as the site writes it; ``None``
    when asked for the traditional edition of a simplified page, whose slug the URL does not tell."""
    parts = urlsplit(url)
    parsed = parsed or parse_article_url(url)
    if parsed is None:
        raise ValueError(f"not an article URL: {url}")
    if traditional and not parsed.traditional:
        return None
    path = quote(unquote(parts.path).rstrip("/"), safe="/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def feed_url(listing_url: str) -> str | None:
    """The edition's RSS feed (``/cn/rss``), beside the edition's front page; ``None`` elsewhere."""
    parts = urlsplit(listing_url)
    match = re.fullmatch(r"/(cn|tw)/?", unquote(parts.path))
    return urlunsplit((parts.scheme, parts.netloc, f"/{match[1]}/rss", "", "")) if match else None


SITE = Site(
    name="rfi",
    root=SITE_ROOT,
    description="RFI Chinese (www.rfi.fr/cn/, 法广), the Chinese service of Radio France Internationale",
    start_paths=START_PATHS,
    parse_article_url=parse_article_url,
    article_url=article_url,
    feed_url=feed_url,
    listing_article_links=LISTING_ARTICLE_LINKS,
    listing_next_page=LISTING_NEXT_PAGE,
    listing_next_page_xpath=None,
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
    date_line_from_entry=DATE_LINE_FROM_ENTRY,
    credit_blocks=CREDIT_BLOCKS,
    tags=TAGS,
    description_meta=DESCRIPTION,
    related_links=RELATED_LINKS,
    site_name_suffix_re=SITE_NAME_SUFFIX_RE,
    local_utc_offset=LOCAL_UTC_OFFSET,
    strip_selectors=STRIP_SELECTORS,
    card_notes="A public broadcaster's Chinese service (France Médias Monde); part of its items are AFP wire "
    "copy, and its programme pages (专栏检索) are episodes whose text may be a summary of audio.",
    default_language=("zh-Hans", "zh-Hant"),
    date_line_text=normalize_space,
    modified_time=MODIFIED_TIME,
    byline=BYLINE,
    byline_name=BYLINE_NAME,
    image_credit=IMAGE_CREDIT,
    traditional_path_re=TRADITIONAL_PATH_RE,
    edition_links=EDITION_LINKS,
)
