"""RFI Chinese's feeds and sitemaps (no stored page shows them: assumed, as ``sites/rfi.py`` does):
the edition's RSS 2.0 feed ``/cn/rss``, an Atom feed per section, and a sitemap index naming the
article sitemaps (every second one gzipped) and one of keyword pages, which lists no article."""

from __future__ import annotations

import gzip
import html
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from newsspider.samplesite import texts
from newsspider.samplesite.model import SIMPLIFIED, SiteModel
from newsspider.samplesite.templates.rfi_article import LISTED_SECTIONS, SECTION_NAMES, RfiArticle, listing_path

FEED_ITEMS = 20
SITEMAP_INDEX = "/sitemap.xml"
KEYWORD_SITEMAP = "/cn/sitemap-keywords.xml"
_XML = '<?xml version="1.0" encoding="UTF-8"?>\n'


class RfiFeeds:
    def __init__(self, site: SiteModel):
        self.site = site

    def sitemap_paths(self) -> list[str]:
        return [
            f"/cn/sitemap-articles-{n}.xml" + (".gz" if n % 2 == 0 else "")
            for n in range(1, self.site.sitemap_count() + 1)
        ]

    def render(self, path: str, base: str) -> tuple[int, str, str | bytes] | None:
        """The feed or sitemap at ``path`` (decoded), ``None`` for any other path."""
        if path == SITEMAP_INDEX:
            return 200, "application/xml; charset=UTF-8", self._sitemap_index(base)
        paths = self.sitemap_paths()
        if path in paths:
            chunk = self.site.sitemap_chunk(paths.index(path))
            body = _urlset([(base + _article_path(a), self.site.last_modified(a)) for a in chunk])
            if path.endswith(".gz"):
                return 200, "application/x-gzip", gzip.compress(body.encode("utf-8"), mtime=0)
            return 200, "application/xml; charset=UTF-8", body
        if path == KEYWORD_SITEMAP:
            urls = [(base + quote(f"/cn/关键词/{tag[SIMPLIFIED]}/"), None) for tag in texts.TAGS]
            return 200, "application/xml; charset=UTF-8", _urlset(urls)
        if path == "/cn/rss":
            return 200, "application/rss+xml; charset=UTF-8", self._rss(base)
        if path.startswith("/cn/") and path.endswith("/atom"):
            section = path[len("/cn/") : -len("/atom")]
            if section in LISTED_SECTIONS:
                return 200, "application/atom+xml; charset=UTF-8", self._atom(section, base)
        return None

    def _sitemap_index(self, base: str) -> str:
        entries = []
        for n, path in enumerate(self.sitemap_paths()):
            newest = max(self.site.last_modified(a) for a in self.site.sitemap_chunk(n))
            entries.append(f"<sitemap><loc>{base}{path}</loc>{_lastmod(newest)}</sitemap>\n")
        entries.append(f"<sitemap><loc>{base}{KEYWORD_SITEMAP}</loc></sitemap>\n")
        return f'{_XML}<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{"".join(entries)}</sitemapindex>\n'

    def _rss(self, base: str) -> str:
        items = []
        for article in self.site.feed_entries(""):  # the front page's newest
            url = html.escape(base + _article_path(article))
            when = article.published.strftime("%a, %d %b %Y %H:%M:%S GMT")
            items.append(
                f"<item><title>{html.escape(article.headline_text(SIMPLIFIED))}</title><link>{url}</link>"
                f'<guid isPermaLink="true">{url}</guid><pubDate>{when}</pubDate>'
                f"<description>{html.escape(article.lead[SIMPLIFIED])}</description></item>\n"
            )
        return (
            f'{_XML}<rss version="2.0"><channel><title>RFI - 法国国际广播电台</title><link>{base}/cn/</link>'
            f"<language>zh-Hans</language>\n{''.join(items)}</channel></rss>\n"
        )

    def _atom(self, section: str, base: str) -> str:
        """A section's Atom feed: ``updated`` is the article's last modification."""
        entries = []
        for article in self.site.feed_entries(section):
            url = html.escape(base + _article_path(article))
            entries.append(
                f"<entry><title>{html.escape(article.headline_text(SIMPLIFIED))}</title>"
                f'<link rel="alternate" type="text/html" href="{url}"/><id>{url}</id>'
                f"<updated>{self.site.last_modified(article).astimezone(UTC).isoformat()}</updated>"
                f"<published>{article.published.isoformat()}</published></entry>\n"
            )
        name = html.escape(SECTION_NAMES[section][SIMPLIFIED])
        return (
            f'{_XML}<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-Hans"><title>{name} - RFI</title>'
            f"<id>{base}{unquote(listing_path(section, 1, SIMPLIFIED))}</id>\n{''.join(entries)}</feed>\n"
        )


def _article_path(article: RfiArticle) -> str:
    return article.path(traditional=article.kind == "tw_only")


def _lastmod(when: datetime | None) -> str:
    return f"<lastmod>{when.astimezone(UTC).isoformat()}</lastmod>" if when else ""


def _urlset(urls: list[tuple[str, datetime | None]]) -> str:
    items = "".join(f"<url><loc>{html.escape(loc)}</loc>{_lastmod(when)}</url>\n" for loc, when in urls)
    return f'{_XML}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{items}</urlset>\n'
