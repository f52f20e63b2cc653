"""www.bannedbook.org's feeds and sitemaps: WordPress's RSS 2.0 and Atom feeds per category,
FeedBurner's copies of them, and Yoast's sitemap index with its post sitemaps."""

from __future__ import annotations

import gzip
import html
from datetime import UTC, datetime

from newsspider.samplesite import texts
from newsspider.samplesite.model import SIMPLIFIED, SiteModel, plain
from newsspider.samplesite.templates.bannedbook_article import (
    LISTED_SECTIONS,
    TAG_ARCHIVE,
    BannedbookArticle,
    listing_path,
    parse_listing_path,
)

FEED_ITEMS = 10  # WordPress's default "syndication feeds show the most recent"
FEEDBURNER_PREFIX = "/feedburner/bnews/"
FEEDPROXY = "http://feedproxy.invalid/~r/bnews"  # where FeedBurner's own item links point


class BannedbookFeeds:
    def __init__(self, site: SiteModel):
        self.site = site

    def sitemap_paths(self) -> list[str]:
        """The post sitemaps the index lists; every second one gzipped."""
        return [
            "/post-sitemap.xml" if n == 1 else f"/post-sitemap{n}.xml" + (".gz" if n % 2 == 0 else "")
            for n in range(1, self.site.sitemap_count() + 1)
        ]

    def _sitemap_chunk(self, path: str) -> list[BannedbookArticle] | None:
        paths = self.sitemap_paths()
        if path not in paths:
            return None
        return self.site.sitemap_chunk(paths.index(path))

    def _article_url(self, article: BannedbookArticle, base: str) -> str:
        return base + article.path(traditional=article.kind == "tw_only")

    def render(self, path: str, base: str, site_base: str) -> tuple[int, str, str | bytes] | None:
        if path == "/sitemap_index.xml":
            return 200, "application/xml; charset=UTF-8", self._sitemap_index(base)
        chunk = self._sitemap_chunk(path)
        if chunk is not None:
            urls = [(self._article_url(a, base), self.site.last_modified(a)) for a in chunk]
            body = _urlset(urls)
            if path.endswith(".gz"):
                return 200, "application/x-gzip", gzip.compress(body.encode("utf-8"), mtime=0)
            return 200, "application/xml; charset=UTF-8", body
        if path == "/page-sitemap.xml":
            return 200, "application/xml; charset=UTF-8", _urlset([(base + "/", None)])
        if path == "/category-sitemap.xml":
            urls = [(base + listing_path(section, 1, SIMPLIFIED), None) for section, _ in LISTED_SECTIONS]
            return 200, "application/xml; charset=UTF-8", _urlset(urls)
        if path.startswith(FEEDBURNER_PREFIX):
            section = path[len(FEEDBURNER_PREFIX) :].strip("/")
            if section in dict(LISTED_SECTIONS):
                return 200, "application/rss+xml; charset=UTF-8", self._rss(section, site_base, feedburner=True)
            return None
        for suffix, atom in (("/feed/atom/", True), ("/feed/", False)):
            if path.endswith(suffix):
                listing = parse_listing_path(path[: -len(suffix) + 1])
                if listing is None or listing[1] != 1 or listing[2] != SIMPLIFIED:
                    return None
                if atom:
                    return 200, "application/atom+xml; charset=UTF-8", self._atom(listing[0], base)
                return 200, "application/rss+xml; charset=UTF-8", self._rss(listing[0], base)
        return None

    def _sitemap_index(self, base: str) -> str:
        entries = []
        for path in self.sitemap_paths():
            newest = max(self.site.last_modified(a) for a in self._sitemap_chunk(path))
            entries.append((base + path, newest))
        entries += [(base + "/page-sitemap.xml", None), (base + "/category-sitemap.xml", None)]
        items = "".join(f"<sitemap><loc>{html.escape(loc)}</loc>{_lastmod(when)}</sitemap>\n" for loc, when in entries)
        return (
            '<?xml version="1.0" encoding="UTF-8"?><?xml-stylesheet type="text/xsl" href="//www.bannedbook.org/main-sitemap.xsl"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{items}</sitemapindex>\n'
        )

    def _feed_title(self, section: str) -> str:
        name = TAG_ARCHIVE[SIMPLIFIED] if section == "tag" else texts.SECTION_NAMES[section][SIMPLIFIED]
        return html.escape(f"{name} – {texts.SITE_NAME[SIMPLIFIED]}")

    def _rss(self, section: str, base: str, feedburner: bool = False) -> str:
        """WordPress's RSS 2.0 feed (or FeedBurner's copy of it, whose item links go through its
        redirector and whose ``feedburner:origLink`` is the article's own URL)."""
        items = []
        for article in self.site.feed_entries(section):
            url = self._article_url(article, base)
            link = f"{FEEDPROXY}/{section}/~3/{article.article_id}/" if feedburner else url
            orig = f"<feedburner:origLink>{html.escape(url)}</feedburner:origLink>" if feedburner else ""
            when = self.site.post_time(article).astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
            items.append(
                f"<item><title>{html.escape(article.headline_text(SIMPLIFIED))}</title><link>{html.escape(link)}</link>"
                f"<dc:creator><![CDATA[{texts.SITE_NAME[SIMPLIFIED]}]]></dc:creator><pubDate>{when}</pubDate>"
                f'<guid isPermaLink="false">{base}/?p={article.article_id}</guid>'
                f"<description><![CDATA[{plain(article.paragraphs[0], SIMPLIFIED)[:60]} [&#8230;]]]></description>"
                f"{orig}</item>\n"
            )
        namespaces = ' xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"' if feedburner else ""
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
            f' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"{namespaces}>\n'
            f"<channel><title>{self._feed_title(section)}</title>"
            f'<atom:link href="{base}{listing_path(section, 1, SIMPLIFIED)}feed/" rel="self" type="application/rss+xml" />'
            f"<link>{base}{listing_path(section, 1, SIMPLIFIED)}</link><language>zh-CN</language>\n"
            f"{''.join(items)}</channel></rss>\n"
        )

    def _atom(self, section: str, base: str) -> str:
        """WordPress's Atom feed: ``updated`` is the post's last modification."""
        entries = []
        for article in self.site.feed_entries(section):
            url = html.escape(self._article_url(article, base))
            entries.append(
                f"<entry><author><name>{texts.SITE_NAME[SIMPLIFIED]}</name></author>"
                f'<title type="html">{html.escape(article.headline_text(SIMPLIFIED))}</title>'
                f'<link rel="alternate" type="text/html" href="{url}" /><id>{base}/?p={article.article_id}</id>'
                f"<updated>{self.site.last_modified(article).astimezone(UTC).isoformat()}</updated>"
                f"<published>{self.site.post_time(article).astimezone(UTC).isoformat()}</published></entry>\n"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">\n'
            f'<title type="text">{self._feed_title(section)}</title><id>{base}{listing_path(section, 1, SIMPLIFIED)}feed/atom/</id>\n'
            f"{''.join(entries)}</feed>\n"
        )


def _lastmod(when: datetime | None) -> str:
    return f"<lastmod>{when.astimezone(UTC).isoformat()}</lastmod>" if when else ""


def _urlset(urls: list[tuple[str, datetime | None]]) -> str:
    items = "".join(f"<url><loc>{html.escape(loc)}</loc>{_lastmod(when)}</url>\n" for loc, when in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{items}</urlset>\n'
    )
