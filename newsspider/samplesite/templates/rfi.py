"""The sample site as RFI Chinese (www.rfi.fr/cn/): every article in the simplified edition
(``/cn/``) and the traditional one (``/tw/``, its own slug), the front page and section listings,
pages that are no articles (authors, keywords, live and replay pages), and the record a correct
crawl of the ``rfi`` spider gets from each article."""

from __future__ import annotations

import hashlib
import random
import re
from datetime import date, datetime
from urllib.parse import parse_qs, quote, unquote, urlsplit

from newsspider import SCHEMA_VERSION
from newsspider.samplesite.model import SIMPLIFIED, TRADITIONAL, FaultMarkup, SiteModel, SiteTemplate, plain
from newsspider.samplesite.templates import rfi_article as scheme
from newsspider.samplesite.templates.rfi_article import (
    LANG_TAGS,
    LISTED_SECTIONS,
    SECTION_NAMES,
    RfiArticle,
    parse_article_path,
    parse_listing_path,
)
from newsspider.samplesite.templates.rfi_feeds import FEED_ITEMS, SITEMAP_INDEX, RfiFeeds
from newsspider.samplesite.templates.rfi_pages import NOT_ARTICLE_PAGES, RfiPages, related_href

PAGE_SIZE = 20
FRONT_PAGE_SIZE = 36  # the real front page shows 36 articles, and no pagination
ROBOTS_TXT = (
    f"User-agent: *\nDisallow: {quote('/cn/预览/')}\nDisallow: /cn/search\n\nSitemap: {{base}}{SITEMAP_INDEX}\n"
)
_OTHER_PAGE_SECTIONS = ("作者", "关键词", "關鍵詞")
_ENTRY = '<article class="t-content__article-wrapper" data-article-content>'
FAULT_MARKUP = FaultMarkup(
    entry=(_ENTRY, "</article>"),
    second_entry=f"{_ENTRY}<p>网友评论：这里是评论区，不是正文。</p></article>",
    # The title, and the JSON-LD's headline, which generic extraction would read instead.
    headline=re.compile(r'<h1 class="t-content__title[^"]*">.*?</h1>|"headline": "(?:[^"\\]|\\.)*", ', re.S),
    # The lead, the photo and its caption, sub-headings and paragraphs: each is a line of the body.
    body_text=re.compile(r'<p class="t-content__chapo">.*?</p>|<figure.*?</figure>|<h2>.*?</h2>|<p>.*?</p>', re.S),
    related_end="</div></aside>",
    related_item=(
        '<div class="o-layout-list__item"><div class="m-item-list-article"><div class="article__title">'
        '<a href="{href}" data-article-item-link><h2 aria-level="3">相关链接</h2></a></div></div></div>'
    ),
    pagination=re.compile(r'<link rel="next" href="[^"]*">|<nav class="m-pagination">.*?</nav>', re.S),
    trap_path="/cn/trap/",
    trap_page="?page={n}",
    malformed_feed="/cn/rss",
    sitemap_index=SITEMAP_INDEX,
    bomb_sitemap="/cn/sitemap-articles-archive.xml.gz",
)


class RfiTemplate(SiteTemplate):
    spider = "rfi"
    sections = LISTED_SECTIONS
    promo_sections = scheme.PROMO_SECTIONS
    disallowed_section = scheme.DISALLOWED_SECTION
    # Pages link each edition's own pages: the traditional edition only for articles it alone has.
    related_variants = ("plain", "tw", "query")
    related_weights = (70, 0, 30)
    feed_items = FEED_ITEMS
    fault_markup = FAULT_MARKUP

    def __init__(self, site: SiteModel):
        super().__init__(site)
        self.pages = RfiPages(site)
        self.feeds = RfiFeeds(site)
        self._index: tuple[int, dict[tuple[str, int], RfiArticle]] | None = None

    def draw_article(self, rng: random.Random, number: int, section: str, day: date, kind: str) -> RfiArticle:
        taken = {a.article_id_in(script) for a in self.site.articles.values() for script in (0, 1)}
        return scheme.draw_article(rng, number, section, day, kind, taken)

    def listing(self, section: str) -> list[RfiArticle]:
        """A section's entries, or the front page's (``section`` "")."""
        listed = self.site.listed()
        if not section:
            return listed[:FRONT_PAGE_SIZE]
        entries = [a for a in listed if a.section == section]
        if section == LISTED_SECTIONS[0]:
            # A listing that links into the robots.txt-disallowed area.
            entries.insert(1, next(a for a in self.site.articles.values() if a.kind == "disallowed"))
        return entries

    def start_urls(self, base: str) -> list[str]:
        return [base + scheme.listing_path(section, 1, SIMPLIFIED) for section in ("", *LISTED_SECTIONS)]

    def sitemap_paths(self) -> list[str]:
        return self.feeds.sitemap_paths()

    def listing_path(self, section: str) -> str:
        return scheme.listing_path(section, 1, SIMPLIFIED)

    def feed_path(self, section: str) -> str:
        return self.atom_feed_path(section)  # RFI's sections have an Atom feed only

    def atom_feed_path(self, section: str) -> str:
        return quote(f"/cn/{section}/atom")

    def page_size(self, section: str) -> int:
        return PAGE_SIZE

    def article_id_at(self, path: str) -> str | None:
        article = self._article_at(urlsplit(path).path)
        return article.article_id if article else None

    def post_time(self, article: RfiArticle) -> datetime:
        return article.published

    def expected_date(self, article: RfiArticle) -> str:
        return article.published.isoformat()

    def modified_time(self, article: RfiArticle) -> str:
        """article:modified_time: the last edit, else the first save."""
        return (article.modified or article.first_modified).isoformat()

    # --- serving -----------------------------------------------------------------------------

    def render(self, path: str, base: str, site_base: str) -> tuple[int, str, str | bytes]:
        parts = urlsplit(path)
        path = unquote(parts.path)
        if path == "/robots.txt":
            return 200, "text/plain; charset=utf-8", ROBOTS_TXT.format(base=base)
        found = self.feeds.render(path, base)
        if found is not None:
            return found
        article = self._article_at(parts.path)
        if article is not None:
            script = TRADITIONAL if path.startswith("/tw/") else SIMPLIFIED
            return (
                200,
                "text/html; charset=utf-8",
                self.pages.article(article, script, base, self.modified_time(article)),
            )
        listing = parse_listing_path(path)
        if listing is not None:
            page_html = self._listing(*listing, parts.query, base)
            if page_html is not None:
                return 200, "text/html; charset=utf-8", page_html
        segments = path.strip("/").split("/")
        if (
            segments[0] == "cn"
            and len(segments) >= 2
            and (segments[1] in NOT_ARTICLE_PAGES or (segments[1] in _OTHER_PAGE_SECTIONS and len(segments) == 3))
        ):
            return 200, "text/html; charset=utf-8", self.pages.other_page(segments[-1], base)
        return self.pages.not_found(base)

    def _article_at(self, path: str) -> RfiArticle | None:
        parsed = parse_article_path(path)
        if parsed is None:
            return None
        section, article_id, script = parsed
        article = self._by_edition().get((article_id, script))
        if article is None or SECTION_NAMES[article.section][script] != section:
            return None
        if article.kind == "tw_only" and script == SIMPLIFIED:
            return None
        return article

    def _by_edition(self) -> dict[tuple[str, int], RfiArticle]:
        """(article id in that edition, script) -> article; rebuilt when articles are added."""
        if self._index is None or self._index[0] != len(self.site.articles):
            index = {(a.article_id_in(s), s): a for a in self.site.articles.values() for s in (0, 1)}
            self._index = (len(self.site.articles), index)
        return self._index[1]

    def _listing(self, section: str, script: int, query: str, base: str) -> str | None:
        entries = self.listing(section)
        size = FRONT_PAGE_SIZE if not section else PAGE_SIZE
        pages = 1 if not section else max(1, -(-len(entries) // size))
        number = parse_qs(query).get("page", ["1"])[0]
        page = int(number) if number.isdigit() else 0
        if page < 1 or page > pages:
            return None
        return self.pages.listing(section, entries[(page - 1) * size : page * size], page, pages, script, base)

    # --- expected records --------------------------------------------------------------------

    def expected_record(self, article: RfiArticle, base: str, spider: str, traditional: bool) -> dict:
        script = TRADITIONAL if traditional else SIMPLIFIED
        url = base + article.path(traditional=traditional)
        body = "\n".join(self._body_lines(article, script))
        return {
            "url": url,
            "canonicalUrl": url,
            "articleId": article.article_id_in(script),
            "section": SECTION_NAMES[article.section][script],
            "inLanguage": LANG_TAGS[script],
            "headline": article.headline_text(script),
            "datePublished": article.published.isoformat(),
            "datePublishedRaw": article.published.isoformat(),
            "authors": [{"name": a[script], "nameRaw": f"作者： {a[script]}"} for a in article.authors],
            "source": None,
            "editor": None,
            "tags": [t[script] for t in article.tags],
            "description": article.lead[script],
            "articleBody": body,
            "articleBodyHtml": None,  # compared through its text; see tests/test_crawl.py
            "images": self._expected_images(article, script),
            "relatedArticles": [
                {
                    "url": base + related_href(self.site.articles[rid], variant, script),
                    "headline": self.site.articles[rid].headline_text(script),
                    "articleId": self.site.articles[rid].article_id_in(script if variant != "tw" else TRADITIONAL),
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
            "site": "www.rfi.fr",  # the site imitated, whatever host serves the sample
            "dateModified": self.modified_time(article),
            "extraction": "site",
        }

    @staticmethod
    def _body_lines(article: RfiArticle, script: int) -> list[str]:
        """The lead, the photo's caption and credit, then sub-headings and paragraphs."""
        lines = [article.lead[script]]
        if article.image:
            lines.append(" ".join(filter(None, [article.image["caption"][script], article.image["credit"]])))
        for i, paragraph in enumerate(article.paragraphs):
            if i in article.subheadings:
                lines.append(article.subheadings[i][script])
            lines.append(plain(paragraph, script))
        return lines

    @staticmethod
    def _expected_images(article: RfiArticle, script: int) -> list[dict]:
        if not article.image:
            return []
        image = article.image
        return [{"url": image["src"], "caption": image["caption"][script], "credit": image["credit"]}]
