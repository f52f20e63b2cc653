"""The sample site as www.bannedbook.org: every article in simplified Chinese, under the
``/bnews/zh-tw/`` mirror and as an AMP view, listing pages in both real listing templates, the
real chrome (menus, sidebars, ad slots, promo lists) on every page, and the record a correct
crawl of the ``bannedbook`` spider gets from each article."""

from __future__ import annotations

import hashlib
import random
import re
from datetime import date, datetime
from urllib.parse import quote, urlsplit

from newsspider import SCHEMA_VERSION
from newsspider.samplesite.model import SIMPLIFIED, TRADITIONAL, FaultMarkup, SiteModel, SiteTemplate, plain, tags_in
from newsspider.samplesite.templates import bannedbook_article as scheme
from newsspider.samplesite.templates.bannedbook_article import (
    ARTICLE_PATH,
    LANG_TAGS,
    LISTED_SECTIONS,
    TAG_ARCHIVE,
    BannedbookArticle,
    canonical_href,
    parse_listing_path,
    related_path,
)
from newsspider.samplesite.templates.bannedbook_feeds import FEED_ITEMS, BannedbookFeeds
from newsspider.samplesite.templates.bannedbook_pages import BannedbookPages

ROBOTS_TXT = "User-agent: *\nDisallow: /bnews/members/\nDisallow: /wp-admin/\n\nSitemap: {base}/sitemap_index.xml\n"
FAULT_MARKUP = FaultMarkup(
    entry=('<div class="entry">', "<!--END ENTRY-->"),
    second_entry='<div class="entry"><p>网友评论：这里是评论区，不是正文。</p></div>',
    headline=re.compile(r"<!-- 面包屑导航 --> <h2>.*?</h2>"),
    body_text=re.compile(r"<p>.*?</p>"),
    # The end of the first related list, before the promo list (ul.texttj).
    related_end='</ul> <ul class="texttj">',
    related_item="<li><a href='{href}' target='_blank'>相关链接</a></li>",
    pagination=re.compile(r'<link rel="next" href="[^"]*" />|<div class="wp-pagenavi"[^>]*>.*?</div>', re.S),
    trap_path="/bnews/trap/",
    trap_page="page/{n}/",
    malformed_feed=f"/bnews/{LISTED_SECTIONS[1][0]}/feed/",
    sitemap_index="/sitemap_index.xml",
    bomb_sitemap="/post-sitemap-archive.xml.gz",
)


class BannedbookTemplate(SiteTemplate):
    spider = "bannedbook"
    sections = tuple(section for section, _ in LISTED_SECTIONS)
    promo_sections = scheme.PROMO_SECTIONS
    disallowed_section = scheme.DISALLOWED_SECTION
    related_variants = ("plain", "tw", "amp")
    feed_items = FEED_ITEMS
    fault_markup = FAULT_MARKUP

    def __init__(self, site: SiteModel):
        super().__init__(site)
        self.pages = BannedbookPages(site)
        self.feeds = BannedbookFeeds(site)

    def draw_article(self, rng: random.Random, number: int, section: str, day: date, kind: str) -> BannedbookArticle:
        return scheme.draw_article(rng, self.site.seed, number, section, day, kind)

    def listing(self, section: str) -> list[BannedbookArticle]:
        listed = self.site.listed()
        if section == "tag":
            return [a for a in listed if TAG_ARCHIVE in tags_in(a)]
        entries = [a for a in listed if a.section == section]
        if section == LISTED_SECTIONS[0][0]:
            # A listing that links into the robots.txt-disallowed area.
            entries.insert(1, next(a for a in self.site.articles.values() if a.kind == "disallowed"))
        return entries

    def start_urls(self, base: str) -> list[str]:
        return [f"{base}/bnews/{section}/" for section, _ in LISTED_SECTIONS] + [
            f"{base}/bnews/tag/{quote(TAG_ARCHIVE[SIMPLIFIED])}/"
        ]

    def sitemap_paths(self) -> list[str]:
        return self.feeds.sitemap_paths()

    def listing_path(self, section: str) -> str:
        return scheme.listing_path(section, 1, SIMPLIFIED)

    def feed_path(self, section: str) -> str:
        return self.listing_path(section) + "feed/"

    def atom_feed_path(self, section: str) -> str:
        return self.listing_path(section) + "feed/atom/"

    def page_size(self, section: str) -> int:
        return scheme.PAGE_SIZE[dict(LISTED_SECTIONS)[section]]

    def article_id_at(self, path: str) -> str | None:
        match = ARTICLE_PATH.match(urlsplit(path).path)
        return match["id"] if match else None

    def post_time(self, article: BannedbookArticle) -> datetime:
        return scheme.post_time(article, self.site.seed)

    def expected_date(self, article: BannedbookArticle) -> str:
        return scheme.expected_date(article)

    # --- serving -----------------------------------------------------------------------------

    def render(self, path: str, base: str, site_base: str) -> tuple[int, str, str | bytes]:
        path = urlsplit(path).path
        if path == "/robots.txt":
            return 200, "text/plain; charset=utf-8", ROBOTS_TXT.format(base=base)
        found = self.feeds.render(path, base, site_base)
        if found is not None:
            return found
        match = ARTICLE_PATH.match(path)
        if match is not None:
            article = self.site.articles.get(match["id"])
            traditional = bool(match["tw"])
            if (
                article is None
                or article.section != match["section"]
                or article.date != match["date"]
                or (article.kind == "tw_only" and not traditional)
            ):
                return self.pages.not_found(base)
            script = TRADITIONAL if traditional else SIMPLIFIED
            if match["amp"]:
                return 200, "text/html; charset=utf-8", self.pages.amp(article, script, base)
            return 200, "text/html; charset=utf-8", self.pages.article(article, script, base)
        if path == "/":
            return 200, "text/html; charset=utf-8", self.pages.home(base)
        listing = parse_listing_path(path)
        if listing is not None:
            section, page, script = listing
            page_html = self.pages.listing(section, page, script, base)
            if page_html is not None:
                return 200, "text/html; charset=utf-8", page_html
        return self.pages.not_found(base)

    # --- expected records --------------------------------------------------------------------

    def expected_record(self, article: BannedbookArticle, base: str, spider: str, traditional: bool) -> dict:
        script = TRADITIONAL if traditional else SIMPLIFIED
        url = base + article.path(traditional=traditional)
        body = "\n".join(self._body_lines(article, script))
        description = None
        if article.description_kind:
            description = plain(article.paragraphs[0], script)
        return {
            "url": url,
            "canonicalUrl": self._canonical_url(article, script, base) if article.canonical else url,
            "articleId": article.article_id,
            "section": article.section,
            "inLanguage": LANG_TAGS[script],
            "headline": article.headline_text(script),
            "datePublished": scheme.expected_date(article),
            "datePublishedRaw": article.published_time or article.postmeat or article.date,
            "authors": [{"name": article.author[script], "nameRaw": self._author_raw(article, script)}]
            if article.author
            else [],
            "source": article.source[script] if article.source else None,
            "editor": article.editor[script] if article.editor else None,
            "tags": [t[script] for t in tags_in(article)],
            "description": description,
            "articleBody": body,
            "articleBodyHtml": None,  # compared through its text; see tests/test_crawl.py
            "images": self._expected_images(article, script, base),
            "relatedArticles": [
                {
                    "url": base + related_path(self.site.articles[rid], variant, script),
                    "headline": self.site.articles[rid].headline_text(script),
                    "articleId": rid,
                }
                for rid, variant in article.related
            ],
            "metadata": {
                "dateDownloaded": None,
                "spider": spider,
                "contentHash": "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest(),
                "schemaVersion": SCHEMA_VERSION,
                "version": None,
                "previousHash": None,
            },
            "site": "www.bannedbook.org",  # the site imitated, whatever host serves the sample
            "dateModified": None,  # the template has no article:modified_time
            "extraction": "site",
        }

    def _body_lines(self, article: BannedbookArticle, script: int) -> list[str]:
        lines = [plain(p, script) for p in article.paragraphs]
        if article.image and article.image["caption"]:
            lines.insert(1, self._caption_text(article, script))
        return lines

    @staticmethod
    def _caption_text(article: BannedbookArticle, script: int) -> str:
        label = "图：" if script == SIMPLIFIED else "圖："
        return f"{article.image['caption'][script]} {label}{article.image['credit'][script]}"

    def _expected_images(self, article: BannedbookArticle, script: int, base: str) -> list[dict]:
        if not article.image:
            return []
        src = article.image["src"]
        url = base + src if src.startswith("/") else src
        caption = self._caption_text(article, script) if article.image["caption"] else None
        return [{"url": url, "caption": caption, "credit": None}]

    @staticmethod
    def _author_raw(article: BannedbookArticle, script: int) -> str:
        name = article.author[script]
        if article.layout == "author_first":
            return f"作者： {name}"
        if article.credit_style == "author_ascii":
            return f"作者: {name}"
        return f"作者：{name}"

    @staticmethod
    def _canonical_url(article: BannedbookArticle, script: int, base: str) -> str:
        href = canonical_href(article, script, base)
        return base + href if href.startswith("/") else href
