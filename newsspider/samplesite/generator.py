"""A deterministic, offline copy of www.bannedbook.org's page structure.

The site is generated from a seed: every article exists in simplified Chinese, under the
``/bnews/zh-tw/`` mirror and as an AMP view, listing pages use both real listing templates,
and every page carries the real chrome (menus, sidebars, ad slots, promo lists). Because the
generator writes the pages, it also knows the record each article must yield
(:meth:`SampleSite.expected_records`), so crawl tests compare exactly.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from importlib import resources
from urllib.parse import quote, unquote, urlsplit

from newsspider import SCHEMA_VERSION
from newsspider.samplesite import texts
from newsspider.samplesite.texts import Pair

SIMPLIFIED, TRADITIONAL = 0, 1
LANG_TAGS = ("zh-CN", "zh-TW")

# (section, listing template): "postlist" is the 2020 template, "posts-item" the newer one.
LISTED_SECTIONS: tuple[tuple[str, str], ...] = (
    ("worldnews", "postlist"),
    ("comments", "posts-item"),
    ("renquan/minyun", "postlist"),
    ("headline", "posts-item"),
)
TAG_ARCHIVE: Pair = texts.TAGS[0]  # 俄罗斯: its archive is one of the start points
PAGE_SIZE = {"postlist": 22, "posts-item": 15}
DISALLOWED_SECTION = "members"
REAL_SITE = "https://www.bannedbook.org"
# The offset of the site's local time, in article:published_time values (postmeat lines have none).
LOCAL_OFFSET = "+08:00"
ROBOTS_TXT = "User-agent: *\nDisallow: /bnews/members/\nDisallow: /wp-admin/\n\nSitemap: {base}/sitemap_index.xml\n"
FEED_ITEMS = 10  # WordPress's default "syndication feeds show the most recent"
SITEMAP_SIZE = 100  # articles per post sitemap (Yoast's default is 1000)
FEEDBURNER_PREFIX = "/feedburner/bnews/"
FEEDPROXY = "http://feedproxy.invalid/~r/bnews"  # where FeedBurner's own item links point

Segment = tuple[str, Pair]  # ("text" | "tag" | "keyword", words)
# "drifted-headline": the site moved its article title out of the <h2> and dropped og:title,
# the kind of template change the drift alarm exists for.
VARIANTS = ("real", "drifted-headline")
# The server's own URL rules (deliberately not the spider's, so a spider bug cannot hide here).
_ARTICLE_PATH = re.compile(
    r"^/bnews/(?P<tw>zh-tw/)?(?P<section>[a-z]+(?:/[a-z]+)?)/(?P<date>\d{8})/(?P<id>\d+)\.html(?P<amp>/amp/?)?$"
)  # ("text" | "tag" | "keyword", words)


@dataclass
class SampleArticle:
    article_id: str
    section: str
    date: str  # YYYYMMDD
    kind: str  # listed | orphan | tw_only | promo | disallowed
    headline: tuple[Pair, Pair]  # (opener, topic): the topic is bold in related lists
    layout: str  # author_first | credit_first
    credit_style: str  # for credit_first: author_source | source_only | author_ascii
    author: Pair | None
    source: Pair | None
    source_in_src_info: bool
    editor: Pair | None
    paragraphs: list[list[Segment]]
    image: dict | None
    published_time: str | None
    description_kind: str | None  # og | meta | None
    canonical: bool
    related: list[tuple[str, str]] = field(default_factory=list)  # (article id, plain|tw|amp)
    edits: int = 0
    postmeat: str | None = None  # a div.postmeat ac line above the entry: "2024年07月08日 14:30" or the date alone
    canonical_kind: str = "self"  # self | real_host (the real site's URL) | other_section (a relative href)
    relative_links: bool = False  # tag and keyword links in the entry written root-relative
    disclaimer: Pair | None = None  # for credit_first: a disclaimer wording other than the style's own
    modified: datetime | None = None  # the last edit

    def headline_text(self, script: int) -> str:
        opener, topic = self.headline
        return opener[script] + topic[script]

    def path(self, traditional: bool = False, amp: bool = False) -> str:
        prefix = "/bnews/zh-tw/" if traditional else "/bnews/"
        return f"{prefix}{self.section}/{self.date}/{self.article_id}.html" + ("/amp" if amp else "")


class SampleSite:
    """All pages of the sample site, rendered on demand for a given base URL."""

    spider = "bannedbook"  # the spider whose site this one imitates

    def __init__(self, seed: int = 2024, articles: int = 320, variant: str = "real", sitemap_size: int = SITEMAP_SIZE):
        if articles < len(LISTED_SECTIONS) * 2:
            raise ValueError(f"the sample site needs at least {len(LISTED_SECTIONS) * 2} articles")
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
        self.seed = seed
        self.variant = variant
        self.sitemap_size = sitemap_size
        self.rng = random.Random(seed)
        self.articles: dict[str, SampleArticle] = {}
        self.published: list[str] = []
        self._latest_cache: tuple[int, list[SampleArticle]] | None = None
        self._sorted_cache: tuple[int, list[SampleArticle]] | None = None
        self._promo_cache: list[str] | None = None
        self._build(articles)

    # --- changes between crawls (scheduled-crawl tests) ----------------------------------------

    def publish(self, count: int, day: date | None = None) -> list[str]:
        """Add ``count`` articles, newer than every other (or dated ``day``: articles published
        relative to a test's "now"), to the top of the category listings."""
        newest = max(self.articles.values(), key=lambda a: (a.date, int(a.article_id)))
        if day is None:
            day = date.fromisoformat(f"{newest.date[:4]}-{newest.date[4:6]}-{newest.date[6:]}") + timedelta(days=1)
        next_id = max(int(a) for a in self.articles) + 1
        public = self.public_ids
        added = []
        for n in range(count):
            article_id = str(next_id + n)
            self._add(article_id, LISTED_SECTIONS[n % len(LISTED_SECTIONS)][0], day, "listed")
            picks = self.rng.sample(public, 3)
            self.articles[article_id].related = [(a, self._variant(a)) for a in picks]
            added.append(article_id)
        self.published += added
        return added

    def edit(self, count: int, ids: list[str] | None = None, at: datetime | None = None) -> list[str]:
        """Change the text of ``count`` articles from the first pages of the category listings,
        or of the articles ``ids`` (say, ones just published), at ``at`` (default: now), which
        the sitemaps' ``lastmod`` and the Atom feeds' ``updated`` then show."""
        candidates = sorted(
            a.article_id
            for section, _ in LISTED_SECTIONS
            for a in self.listing(section)[3:12]
            if a.kind == "listed" and not a.edits and a.article_id not in self.published
        )
        edited = sorted(ids) if ids is not None else sorted(self.rng.sample(candidates, count))
        for article_id in edited:
            article = self.articles[article_id]
            article.edits += 1
            article.modified = at or datetime.now(UTC)
            article.paragraphs[-1].append(("text", texts.CORRECTIONS[article.edits % len(texts.CORRECTIONS)]))
        return edited

    # --- building ---------------------------------------------------------------------------

    def _build(self, count: int) -> None:
        rng = self.rng
        day = date(2024, 6, 30)
        next_id = 2_050_000 + 60 * count
        orphan_count = max(2, count // 12)
        kinds = ["listed"] * (count - orphan_count - 2) + ["orphan"] * orphan_count + ["tw_only"] * 2
        rng.shuffle(kinds)
        for i, kind in enumerate(kinds):
            section = LISTED_SECTIONS[i % len(LISTED_SECTIONS)][0]
            self._add(str(next_id), section, day, kind)
            next_id -= rng.randint(1, 50)
            if rng.random() < 0.3:
                day -= timedelta(days=1)
        # Pages only promo lists, ad blocks and sidebars link to, and one robots.txt forbids.
        for n, section in enumerate(["ssgc", "comments", "baitai", "ssgc", "comments", "baitai"]):
            self._add(str(1_850_000 + n * 7), section, date(2023, 2, 19) - timedelta(days=n), "promo")
        self._add(str(next_id - 1), DISALLOWED_SECTION, day, "disallowed")

        public = self.public_ids
        listed = [a for a in public if self.articles[a].kind == "listed"]
        for article_id in public:
            count = rng.randint(3, 5)
            picks = [a for a in rng.sample(public, count + 1) if a != article_id][:count]
            self.articles[article_id].related = [(a, self._variant(a)) for a in picks]
        for article_id in public:
            if self.articles[article_id].kind != "listed":
                # Reachable only through the related list of a listed article.
                host = self.articles[rng.choice(listed)]
                host.related = [(article_id, self._variant(article_id))] + [
                    r for r in host.related if r[0] != article_id
                ][:4]

    def _variant(self, article_id: str) -> str:
        if self.articles[article_id].kind == "tw_only":
            return "tw"
        return self.rng.choices(["plain", "tw", "amp"], weights=[70, 15, 15])[0]

    def _add(self, article_id: str, section: str, day: date, kind: str) -> None:
        rng = self.rng
        layout = rng.choice(["author_first", "credit_first"])
        credit_style = rng.choice(["author_source", "source_only", "author_ascii"])
        has_author = layout == "author_first" or credit_style != "source_only"
        has_source = credit_style != "author_ascii" if layout == "credit_first" else rng.random() < 0.6
        tags = rng.sample(texts.TAGS, rng.randint(0, 3))
        paragraphs = []
        for _ in range(rng.randint(4, 8)):
            segments: list[Segment] = []
            for _ in range(rng.randint(1, 3)):
                if tags and rng.random() < 0.3:
                    segments += [("text", ("关于", "關於")), ("tag", rng.choice(tags)), ("text", ("，", "，"))]
                elif rng.random() < 0.15:
                    segments += [("keyword", rng.choice(texts.KEYWORDS)), ("text", ("方面，", "方面，"))]
                segments.append(("text", rng.choice(texts.SENTENCES)))
            paragraphs.append(segments)
        for tag in tags:  # every chosen tag appears at least once
            if not any(seg == ("tag", tag) for para in paragraphs for seg in para):
                paragraphs[rng.randrange(len(paragraphs))][:0] = [("tag", tag), ("text", ("消息：", "消息："))]
        image = None
        if rng.random() < 0.6:
            src = rng.choice(
                [
                    f"/bnews/wp-content/uploads/2024/06/{article_id}.jpg",
                    f"https://img.soundofhope.org/2024-06/{article_id}_w650_r1_s.jpg",
                    f"https://media.greatfire.org/proxy/?url=https://gdb.voanews.com/{article_id}.jpg",
                ]
            )
            caption = rng.choice(texts.CAPTIONS) if rng.random() < 0.7 else None
            image = {"src": src, "caption": caption, "credit": rng.choice(texts.PHOTO_CREDITS)}
        published = None
        if rng.random() < 0.6:
            published = f"{day.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{LOCAL_OFFSET}"
        self.articles[article_id] = SampleArticle(
            article_id=article_id,
            section=section,
            date=day.strftime("%Y%m%d"),
            kind=kind,
            headline=(rng.choice(texts.HEADLINE_OPENERS), rng.choice(texts.HEADLINE_TOPICS)),
            layout=layout,
            credit_style=credit_style,
            author=rng.choice(texts.AUTHORS) if has_author else None,
            source=rng.choice(texts.SOURCES) if has_source else None,
            source_in_src_info=layout == "author_first",
            editor=rng.choice(texts.EDITORS) if rng.random() < 0.4 else None,
            paragraphs=paragraphs,
            image=image,
            published_time=published,
            description_kind=rng.choices(["og", "meta", None], weights=[70, 15, 15])[0],
            canonical=rng.random() < 0.9,
        )
        self._add_template_variety(self.articles[article_id])

    def _add_template_variety(self, article: SampleArticle) -> None:
        """Postmeat dates, canonical links elsewhere and relative links, drawn from the article's own
        random stream so that adding them left the rest of the site as it was."""
        rng = random.Random(f"{self.seed}/{article.article_id}")
        kind = rng.choices([None, "datetime", "date"], weights=[55, 30, 15])[0]
        if kind is not None:
            d = article.date
            article.postmeat = f"{d[:4]}年{d[4:6]}月{d[6:]}日"
            if kind == "datetime":
                clock = (
                    article.published_time[11:16]
                    if article.published_time
                    else f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
                )
                article.postmeat += f" {clock}"
            # Old templates often give no article:published_time: the postmeat line is the only date.
            if rng.random() < 0.7:
                article.published_time = None
        article.canonical_kind = rng.choices(["self", "real_host", "other_section"], weights=[80, 12, 8])[0]
        article.relative_links = rng.random() < 0.3
        if article.layout == "credit_first" and rng.random() < 0.5:
            article.disclaimer = rng.choice(texts.DISCLAIMERS)

    # --- what the site holds -------------------------------------------------------------------

    @property
    def public_ids(self) -> list[str]:
        """Articles a correct crawl must emit, newest first."""
        return [a.article_id for a in self._sorted() if a.kind in ("listed", "orphan", "tw_only")]

    def _sorted(self) -> list[SampleArticle]:
        """Newest first; cached until articles are added (pages ask for it on every render)."""
        if self._sorted_cache is None or self._sorted_cache[0] != len(self.articles):
            ordered = sorted(self.articles.values(), key=lambda a: (a.date, int(a.article_id)), reverse=True)
            self._sorted_cache = (len(self.articles), ordered)
        return self._sorted_cache[1]

    def promo_ids(self) -> list[str]:
        """Pages only promo lists, ads and sidebars link to, and the robots.txt-forbidden one."""
        if self._promo_cache is None:
            self._promo_cache = [a.article_id for a in self.articles.values() if a.kind in ("promo", "disallowed")]
        return self._promo_cache

    def listing(self, section: str) -> list[SampleArticle]:
        listed = [a for a in self._sorted() if a.kind == "listed"]
        if section == "tag":
            return [a for a in listed if TAG_ARCHIVE in _tags(a)]
        entries = [a for a in listed if a.section == section]
        if section == LISTED_SECTIONS[0][0]:
            # A listing that links into the robots.txt-disallowed area.
            entries.insert(1, next(a for a in self.articles.values() if a.kind == "disallowed"))
        return entries

    def start_urls(self, base: str) -> list[str]:
        base = base.rstrip("/")
        return [f"{base}/bnews/{section}/" for section, _ in LISTED_SECTIONS] + [
            f"{base}/bnews/tag/{quote(TAG_ARCHIVE[SIMPLIFIED])}/"
        ]

    def expected_records(self, base: str, spider: str = "bannedbook") -> dict[str, dict]:
        """articleId -> the record a correct crawl emits (``metadata.dateDownloaded`` aside)."""
        return {article_id: self.expected_record(article_id, base, spider) for article_id in self.public_ids}

    def expected_record(
        self, article_id: str, base: str, spider: str = "bannedbook", traditional: bool = False
    ) -> dict:
        """The record of one article's page; the simplified one unless ``traditional`` (or the
        article only exists in the traditional mirror)."""
        article = self.articles[article_id]
        script = TRADITIONAL if traditional or article.kind == "tw_only" else SIMPLIFIED
        base = base.rstrip("/")
        url = base + article.path(traditional=bool(script))
        body = "\n".join(self._body_lines(article, script))
        description = None
        if article.description_kind:
            description = _plain(article.paragraphs[0], script)
        return {
            "url": url,
            "canonicalUrl": self._canonical_url(article, script, base) if article.canonical else url,
            "articleId": article_id,
            "section": article.section,
            "inLanguage": LANG_TAGS[script],
            "headline": article.headline_text(script),
            "datePublished": _expected_date(article),
            "datePublishedRaw": article.published_time or article.postmeat or article.date,
            "authors": [{"name": article.author[script], "nameRaw": self._author_raw(article, script)}]
            if article.author
            else [],
            "source": article.source[script] if article.source else None,
            "editor": article.editor[script] if article.editor else None,
            "tags": [t[script] for t in _tags(article)],
            "description": description,
            "articleBody": body,
            "articleBodyHtml": None,  # compared through its text; see tests/test_crawl.py
            "images": self._expected_images(article, script, base),
            "relatedArticles": [
                {
                    "url": base + self._related_path(rid, variant, script),
                    "headline": self.articles[rid].headline_text(script),
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
        }

    def _body_lines(self, article: SampleArticle, script: int) -> list[str]:
        lines = [_plain(p, script) for p in article.paragraphs]
        if article.image and article.image["caption"]:
            lines.insert(1, self._caption_text(article, script))
        return lines

    @staticmethod
    def _caption_text(article: SampleArticle, script: int) -> str:
        label = "图：" if script == SIMPLIFIED else "圖："
        return f"{article.image['caption'][script]} {label}{article.image['credit'][script]}"

    def _expected_images(self, article: SampleArticle, script: int, base: str) -> list[dict]:
        if not article.image:
            return []
        src = article.image["src"]
        url = base + src if src.startswith("/") else src
        caption = self._caption_text(article, script) if article.image["caption"] else None
        return [{"url": url, "caption": caption, "credit": None}]

    @staticmethod
    def _author_raw(article: SampleArticle, script: int) -> str:
        name = article.author[script]
        if article.layout == "author_first":
            return f"作者： {name}"
        if article.credit_style == "author_ascii":
            return f"作者: {name}"
        return f"作者：{name}"

    def _canonical_href(self, article: SampleArticle, script: int, base: str) -> str:
        """The href of the article's link[rel=canonical], as the page writes it."""
        path = article.path(traditional=bool(script))
        if article.canonical_kind == "real_host":
            return REAL_SITE + path
        if article.canonical_kind == "other_section":
            sections = [s for s, _ in LISTED_SECTIONS if s != article.section]
            other = sections[int(article.article_id) % len(sections)]
            return path.replace(f"/{article.section}/", f"/{other}/", 1)
        return base + path

    def _canonical_url(self, article: SampleArticle, script: int, base: str) -> str:
        href = self._canonical_href(article, script, base)
        return base + href if href.startswith("/") else href

    def _related_path(self, article_id: str, variant: str, script: int) -> str:
        target = self.articles[article_id]
        return target.path(traditional=variant == "tw" or script == TRADITIONAL, amp=variant == "amp")

    # --- serving -----------------------------------------------------------------------------

    def render(self, path: str, base: str, site_base: str | None = None) -> tuple[int, str, str | bytes]:
        """``(status, content type, body)`` for a request path on the site served at ``base``;
        FeedBurner-style feeds (``/feedburner/bnews/<section>``) point at ``site_base``, the site's
        own address, whatever host they were asked on."""
        base = base.rstrip("/")
        path = urlsplit(path).path
        if path == "/robots.txt":
            return 200, "text/plain; charset=utf-8", ROBOTS_TXT.format(base=base)
        found = self._render_discovery(path, base, (site_base or base).rstrip("/"))
        if found is not None:
            return found
        match = _ARTICLE_PATH.match(path)
        if match is not None:
            article = self.articles.get(match["id"])
            traditional = bool(match["tw"])
            if (
                article is None
                or article.section != match["section"]
                or article.date != match["date"]
                or (article.kind == "tw_only" and not traditional)
            ):
                return self._not_found(base)
            script = TRADITIONAL if traditional else SIMPLIFIED
            if match["amp"]:
                return 200, "text/html; charset=utf-8", self._render_amp(article, script, base)
            return 200, "text/html; charset=utf-8", self._render_article(article, script, base)
        if path == "/":
            return 200, "text/html; charset=utf-8", self._render_home(base)
        listing = self._parse_listing_path(path)
        if listing is not None:
            section, page, script = listing
            page_html = self._render_listing(section, page, script, base)
            if page_html is not None:
                return 200, "text/html; charset=utf-8", page_html
        return self._not_found(base)

    # --- feeds and sitemaps -------------------------------------------------------------------

    def post_time(self, article: SampleArticle) -> datetime:
        """When WordPress says the article was published (every post has a time, even where its
        page shows only the date): article:published_time, the postmeat time, or one drawn for it."""
        if article.published_time:
            return datetime.fromisoformat(article.published_time)
        d = article.date
        if article.postmeat and " " in article.postmeat:
            clock = article.postmeat.split(" ")[1]
        else:
            rng = random.Random(f"{self.seed}/{article.article_id}/time")
            clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        return datetime.fromisoformat(f"{d[:4]}-{d[4:6]}-{d[6:]}T{clock}:00{LOCAL_OFFSET}")

    def last_modified(self, article: SampleArticle) -> datetime:
        return article.modified or self.post_time(article)

    def expected_feed_date(self, article_id: str) -> str:
        """``datePublished`` of an article found through a feed: the page's own when it gives a
        time, else the feed item's time."""
        article = self.articles[article_id]
        own = _expected_date(article)
        return own if "T" in own else self.post_time(article).isoformat()

    def feed_entries(self, section: str) -> list[SampleArticle]:
        """The items of a category's (or the tag archive's) feed: its newest listed posts."""
        return self.listing(section)[:FEED_ITEMS]

    def sitemap_articles(self) -> list[SampleArticle]:
        """Every post, oldest first, as Yoast's post sitemaps list them."""
        return list(reversed(self._sorted()))

    def sitemap_paths(self) -> list[str]:
        """The post sitemaps the index lists; every second one gzipped."""
        count = max(1, -(-len(self.articles) // self.sitemap_size))
        return [
            "/post-sitemap.xml" if n == 1 else f"/post-sitemap{n}.xml" + (".gz" if n % 2 == 0 else "")
            for n in range(1, count + 1)
        ]

    def _sitemap_chunk(self, path: str) -> list[SampleArticle] | None:
        paths = self.sitemap_paths()
        if path not in paths:
            return None
        n = paths.index(path)
        return self.sitemap_articles()[n * self.sitemap_size : (n + 1) * self.sitemap_size]

    def _article_url(self, article: SampleArticle, base: str) -> str:
        return base + article.path(traditional=article.kind == "tw_only")

    def _render_discovery(self, path: str, base: str, site_base: str) -> tuple[int, str, str | bytes] | None:
        if path == "/sitemap_index.xml":
            return 200, "application/xml; charset=UTF-8", self._sitemap_index(base)
        chunk = self._sitemap_chunk(path)
        if chunk is not None:
            urls = [(self._article_url(a, base), self.last_modified(a)) for a in chunk]
            body = _urlset(urls)
            if path.endswith(".gz"):
                return 200, "application/x-gzip", gzip.compress(body.encode("utf-8"), mtime=0)
            return 200, "application/xml; charset=UTF-8", body
        if path == "/page-sitemap.xml":
            return 200, "application/xml; charset=UTF-8", _urlset([(base + "/", None)])
        if path == "/category-sitemap.xml":
            urls = [(base + self._listing_path(section, 1, SIMPLIFIED), None) for section, _ in LISTED_SECTIONS]
            return 200, "application/xml; charset=UTF-8", _urlset(urls)
        if path.startswith(FEEDBURNER_PREFIX):
            section = path[len(FEEDBURNER_PREFIX) :].strip("/")
            if section in dict(LISTED_SECTIONS):
                return 200, "application/rss+xml; charset=UTF-8", self._rss(section, site_base, feedburner=True)
            return None
        for suffix, atom in (("/feed/atom/", True), ("/feed/", False)):
            if path.endswith(suffix):
                listing = self._parse_listing_path(path[: -len(suffix) + 1])
                if listing is None or listing[1] != 1 or listing[2] != SIMPLIFIED:
                    return None
                if atom:
                    return 200, "application/atom+xml; charset=UTF-8", self._atom(listing[0], base)
                return 200, "application/rss+xml; charset=UTF-8", self._rss(listing[0], base)
        return None

    def _sitemap_index(self, base: str) -> str:
        entries = []
        for path in self.sitemap_paths():
            newest = max(self.last_modified(a) for a in self._sitemap_chunk(path))
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
        for article in self.feed_entries(section):
            url = self._article_url(article, base)
            link = f"{FEEDPROXY}/{section}/~3/{article.article_id}/" if feedburner else url
            orig = f"<feedburner:origLink>{html.escape(url)}</feedburner:origLink>" if feedburner else ""
            when = self.post_time(article).astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
            items.append(
                f"<item><title>{html.escape(article.headline_text(SIMPLIFIED))}</title><link>{html.escape(link)}</link>"
                f"<dc:creator><![CDATA[{texts.SITE_NAME[SIMPLIFIED]}]]></dc:creator><pubDate>{when}</pubDate>"
                f'<guid isPermaLink="false">{base}/?p={article.article_id}</guid>'
                f"<description><![CDATA[{_plain(article.paragraphs[0], SIMPLIFIED)[:60]} [&#8230;]]]></description>"
                f"{orig}</item>\n"
            )
        namespaces = ' xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"' if feedburner else ""
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
            f' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"{namespaces}>\n'
            f"<channel><title>{self._feed_title(section)}</title>"
            f'<atom:link href="{base}{self._listing_path(section, 1, SIMPLIFIED)}feed/" rel="self" type="application/rss+xml" />'
            f"<link>{base}{self._listing_path(section, 1, SIMPLIFIED)}</link><language>zh-CN</language>\n"
            f"{''.join(items)}</channel></rss>\n"
        )

    def _atom(self, section: str, base: str) -> str:
        """WordPress's Atom feed: ``updated`` is the post's last modification."""
        entries = []
        for article in self.feed_entries(section):
            url = html.escape(self._article_url(article, base))
            entries.append(
                f"<entry><author><name>{texts.SITE_NAME[SIMPLIFIED]}</name></author>"
                f'<title type="html">{html.escape(article.headline_text(SIMPLIFIED))}</title>'
                f'<link rel="alternate" type="text/html" href="{url}" /><id>{base}/?p={article.article_id}</id>'
                f"<updated>{self.last_modified(article).astimezone(UTC).isoformat()}</updated>"
                f"<published>{self.post_time(article).astimezone(UTC).isoformat()}</published></entry>\n"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">\n'
            f'<title type="text">{self._feed_title(section)}</title><id>{base}{self._listing_path(section, 1, SIMPLIFIED)}feed/atom/</id>\n'
            f"{''.join(entries)}</feed>\n"
        )

    def _parse_listing_path(self, path: str) -> tuple[str, int, int] | None:
        script = SIMPLIFIED
        if path.startswith("/bnews/zh-tw/"):
            script, path = TRADITIONAL, "/bnews/" + path[len("/bnews/zh-tw/") :]
        if not path.startswith("/bnews/") or not path.endswith("/"):
            return None
        parts = path[len("/bnews/") : -1].split("/")
        page = 1
        if len(parts) >= 3 and parts[-2] == "page" and parts[-1].isdigit():
            page, parts = int(parts[-1]), parts[:-2]
        if parts[:1] == ["tag"] and len(parts) == 2 and unquote(parts[1]) in TAG_ARCHIVE:
            return "tag", page, script
        section = "/".join(parts)
        if section in dict(LISTED_SECTIONS):
            return section, page, script
        return None

    def _listing_path(self, section: str, page: int, script: int) -> str:
        prefix = "/bnews/zh-tw/" if script else "/bnews/"
        name = f"tag/{quote(TAG_ARCHIVE[script])}" if section == "tag" else section
        return f"{prefix}{name}/" + (f"page/{page}/" if page > 1 else "")

    def _render_home(self, base: str) -> str:
        """The home page: site chrome and sidebars, but no article listing (its real markup is not
        known), so that a crawl started there finds no article links and says so."""
        center = '<h2 class="pagetitle">禁闻网</h2><p>欢迎访问。请从分类栏目进入新闻列表。</p>'
        return self._page(SIMPLIFIED, base, "/", "禁闻网", center, head_meta=f'<link rel="canonical" href="{base}/" />')

    def _not_found(self, base: str) -> tuple[int, str, str]:
        center = '<h2 class="pagetitle">404 Not Found</h2><p>页面不存在</p>'
        return (
            404,
            "text/html; charset=utf-8",
            self._page(SIMPLIFIED, base, "/404/", "页面不存在", center, head_meta=""),
        )

    # --- page templates ----------------------------------------------------------------------

    @cached_property
    def _chrome(self) -> str:
        return resources.files("newsspider.samplesite").joinpath("templates/page.html").read_text("utf-8")

    def _page(self, script: int, base: str, path: str, title: str, center: str, head_meta: str) -> str:
        plain_path = path.replace("/bnews/zh-tw/", "/bnews/")
        tw_path = plain_path.replace("/bnews/", "/bnews/zh-tw/", 1)
        current = ("wpcc_current_lang", "wpcc_lang") if script == SIMPLIFIED else ("wpcc_lang", "wpcc_current_lang")
        replacements = {
            "{{lang}}": LANG_TAGS[script],
            "{{title}}": f"{html.escape(title)} - {texts.SITE_NAME[script]}",
            "{{head_meta}}": head_meta,
            "{{alternates}}": (
                f'<link rel="alternate" hreflang="zh-Hans" href="{base}{plain_path}" />\n'
                f'<link rel="alternate" hreflang="zh-Hant" href="{base}{tw_path}" />'
            ),
            "{{lang_links}}": (
                f'<span id="wpcc_original_link" class="{current[0]}"><a class="wpcc_link" href="{base}{plain_path}" title="简体">简体</a></span>\n'
                f'<span id="wpcc_zh-tw_link" class="{current[1]}"><a class="wpcc_link" href="{base}{tw_path}" title="正体">正体</a></span>'
            ),
            "{{breadcrumb}}": (
                f'<div class="breadcrumb">\n<a href="{base}/" class="home">禁闻网</a> &gt; '
                f'<span class="current-item">{html.escape(title)}</span></div>'
            ),
            "{{center}}": center,
            "{{page_schema}}": "",
            "{{sidebar}}": self._sidebar(script, base),
        }
        page = self._chrome
        for key, value in replacements.items():
            page = page.replace(key, value)
        return page

    def _sidebar(self, script: int, base: str) -> str:
        """Hot posts (promo pages), the latest articles and a tag cloud, as real sidebars carry:
        links a crawler must not follow, and the bulk that makes real pages 30-60 KB."""
        hot = "".join(
            f'<li><a href="{base}{self.articles[a].path(traditional=bool(script))}" target="_blank">'
            f"{html.escape(self.articles[a].headline_text(script))}</a></li>"
            for a in self.promo_ids()[:4]
        )
        latest = "".join(
            f'<li class="latest-post"><a href="{base}{a.path(traditional=bool(script))}" target="_blank" '
            f'title="{html.escape(a.headline_text(script))}">{html.escape(a.headline_text(script))}</a>'
            f'<span class="latest-date">{a.date[:4]}-{a.date[4:6]}-{a.date[6:]}</span></li>'
            for a in self._latest()
        )
        tags = "".join(
            f'<a href="{base}/bnews/tag/{quote(t[script])}/" class="tag-cloud-link" style="font-size:{12 + n % 9}pt">'
            f"{html.escape(t[script])}</a> "
            for n, t in enumerate(texts.TAGS)
        )
        return (
            f'<div id="sidebar-hot-posts" class="list"><h3>热门文章</h3><ul>{hot}</ul></div>\n'
            f'<div id="sidebar-latest" class="widget"><h3>最新文章</h3><ul>{latest}</ul></div>\n'
            f'<div id="sidebar-tags" class="widget tagcloud"><h3>热门标签</h3>{tags}</div>'
        )

    def _latest(self) -> list[SampleArticle]:
        """The 60 newest listed articles (cached until the site changes)."""
        if self._latest_cache is None or self._latest_cache[0] != len(self.articles):
            self._latest_cache = (len(self.articles), [a for a in self._sorted() if a.kind == "listed"][:60])
        return self._latest_cache[1]

    def _render_article(self, article: SampleArticle, script: int, base: str) -> str:
        path = article.path(traditional=bool(script))
        url = base + path
        headline = html.escape(article.headline_text(script))
        meta = [f'<meta property="og:locale" content="{LANG_TAGS[script].replace("-", "_")}" />']
        if article.canonical:
            meta.append(f'<link rel="canonical" href="{self._canonical_href(article, script, base)}" />')
        meta.append(f'<link rel="amphtml" href="{url}/amp" />')
        meta.append('<meta name="author" content="編輯團隊" />')
        if self.variant != "drifted-headline":
            meta.append(f'<meta property="og:title" content="{headline} - {texts.SITE_NAME[script]}" />')
        meta.append(f'<meta property="og:url" content="{url}" />')
        description = html.escape(_plain(article.paragraphs[0], script))
        if article.description_kind == "og":
            meta.append(f'<meta property="og:description" content="{description}" />')
        elif article.description_kind == "meta":
            meta.append(f'<meta name="description" content="{description}" />')
        if article.published_time:
            meta.append(f'<meta property="article:published_time" content="{article.published_time}" />')
        title = (
            f'<h1 class="entry-title">{headline}</h1>' if self.variant == "drifted-headline" else f"<h2>{headline}</h2>"
        )
        postmeat = ""
        if article.postmeat:
            section_name = texts.SECTION_NAMES.get(article.section, ("", ""))[script]
            postmeat = (
                f'<div class="postmeat ac">{article.postmeat} '
                f'<a href="{base}/bnews/{article.section}/" rel="category tag">{section_name}</a></div> '
            )
        center = (
            f"<!-- 面包屑导航 --> {title} {postmeat}"
            f'<p class="notice"><b>{texts.NOTICE[script]}</p><p>{texts.NOTICE_FOLLOW_UP[script]}</b></p>  '
            f'<div class="entry"> {self._entry(article, script, base)} </div><!--END ENTRY-->'
            f"{_COMMENTS_AREA}"
        )
        return self._page(script, base, path, article.headline_text(script), center, "\n".join(meta))

    def _entry(self, article: SampleArticle, script: int, base: str) -> str:
        parts: list[str] = []
        credit = self._credit_paragraph(article, script)
        if credit:
            parts.append(credit)
        link_base = "" if article.relative_links else base
        for i, paragraph in enumerate(article.paragraphs):
            parts.append(f"<p>{_markup(paragraph, script, link_base)}</p>")
            if i == 0 and article.image:
                parts.append(f'<p><img src="{html.escape(article.image["src"])}" alt="" /></p>')
                if article.image["caption"]:
                    label = "图：" if script == SIMPLIFIED else "圖："
                    parts.append(
                        f"<p>{article.image['caption'][script]}&nbsp;&nbsp;&nbsp;{label}{article.image['credit'][script]}</p>"
                    )
            if i == 1:
                parts.append(
                    '<!--<div id="taboola-mid-1"></div>--><div class="banner-ads in-article">'
                    '<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-2194043486084479" '
                    'data-ad-slot="9775570531"></ins><script>(adsbygoogle = window.adsbygoogle || []).push({});</script>'
                    f'<a href="{base}{self.articles[self.promo_ids()[0]].path()}"><img src="/images/ad-banner.jpg" alt="" /></a></div>'
                )
        parts.append("<p></p>")
        if article.editor:
            label = "责任编辑：" if script == SIMPLIFIED else "責任編輯："
            share = "站长动态，转发分享↓" if script == SIMPLIFIED else "站長動態，轉發分享↓"
            parts.append(
                f'<p>{share}<a href="https://twitter.com/bannedebook" target="_blank">Follow Us</a> '
                f"{label}{article.editor[script]}</p>"
                f'<p><img src="{base}/images/follow-us.png" alt="Follow Us" /></p>'
            )
        parts.append(self._related_list(article, script, base))
        parts.append(self._promo_list(script, base))
        if article.source and article.source_in_src_info:
            label = "来源：" if script == SIMPLIFIED else "來源："
            parts.append(f'<p class="src-info">{label}{article.source[script]} </p>')
        parts.append(_SHARE_AND_ADS)
        return " ".join(parts)

    @staticmethod
    def _credit_paragraph(article: SampleArticle, script: int) -> str | None:
        author = article.author[script] if article.author else None
        source = article.source[script] if article.source else None
        if article.layout == "author_first":
            return f"<p>作者： {author}</p>"
        if article.disclaimer:
            label = "来源：" if script == SIMPLIFIED else "來源："
            credits = {
                "author_source": f"作者：{author}{label}{source}",
                "source_only": f"{label}{source}",
                "author_ascii": f"作者: {author}",
            }
            return f"<p>{credits[article.credit_style]}{article.disclaimer[script]}</p>"
        if article.credit_style == "author_source":
            if script == SIMPLIFIED:
                return f"<p>作者：{author}来源：{source}，文章仅供参考，内容并不代表本网立场和观点。</p>"
            return f"<p>作者：{author}來源：{source}，文章謹供參考，內容並不代表本網立場和觀點。</p>"
        if article.credit_style == "source_only":
            if script == SIMPLIFIED:
                return f"<p>来源：{source}, 文章内容并不代表本网立场。</p>"
            return f"<p>來源：{source}, 文章內容並不代表本網立場和觀點。</p>"
        if script == SIMPLIFIED:
            return f"<p>作者: {author} , 文章内容仅代表作者个人观点。</p>"
        return f"<p>作者: {author} , 文章內容謹代表作者個人觀點。</p>"

    def _related_list(self, article: SampleArticle, script: int, base: str) -> str:
        items = []
        for article_id, variant in article.related:
            target = self.articles[article_id]
            opener, topic = target.headline
            items.append(
                f"<li><a href='{base}{self._related_path(article_id, variant, script)}' target='_blank'>"
                f"{html.escape(opener[script])}<b>{html.escape(topic[script])}</b></a></li>"
            )
        return f"<ul class='op-related-articles' title='{texts.RELATED_TITLE[script]}'> {' '.join(items)} </ul>"

    def _promo_list(self, script: int, base: str) -> str:
        promo = self.promo_ids()
        items = [
            f'<li>🔥<a href="{base}{self.articles[promo[1]].path()}" target="_blank">{html.escape(self.articles[promo[1]].headline_text(script))}</a></li>',
            f'<li>🔥<a href="{base}{self.articles[promo[2]].path()}" target="_blank">{html.escape(self.articles[promo[2]].headline_text(script))}</a></li>',
            '<li>🔥<a href="https://github.com/bannedbook/fanqiang/wiki/V2ray%E6%9C%BA%E5%9C%BA" target="_blank">'
            "解锁ChatGPT|全平台高速翻墙:高清视频秒开,超低延迟</a></li>",
            '<li>🔥<a href="https://github.com/bannedbook/fanqiang/wiki/%E7%A6%81%E9%97%BB%E7%BD%91%E5%AE%89%E5%8D%93%E7%BF%BB%E5%A2%99%E6%96%B0%E9%97%BBAPP" '
            'target="_blank">免费PC翻墙、安卓VPN翻墙APP</a></li>',
        ]
        return f'<ul class="texttj"> {" ".join(items)} </ul>'

    def _render_amp(self, article: SampleArticle, script: int, base: str) -> str:
        headline = html.escape(article.headline_text(script))
        body = "".join(f"<p>{_markup(p, script, base)}</p>" for p in article.paragraphs)
        return (
            f'<!doctype html><html amp lang="{LANG_TAGS[script]}"><head><meta charset="utf-8">'
            f"<title>{headline} - {texts.SITE_NAME[script]}</title>"
            f'<link rel="canonical" href="{base}{article.path(traditional=bool(script))}">'
            '<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">'
            '<script async src="https://cdn.ampproject.org/v0.js"></script></head><body>'
            f'<header class="amp-wp-header"><a href="{base}/bnews/">{texts.SITE_NAME[script]}</a></header>'
            f'<article class="amp-wp-article"><header class="amp-wp-article-header"><h1 class="amp-wp-title">{headline}</h1></header>'
            f'<div class="amp-wp-article-content">{body}</div></article></body></html>'
        )

    def _render_listing(self, section: str, page: int, script: int, base: str) -> str | None:
        entries = self.listing(section)
        template = "postlist" if section == "tag" else dict(LISTED_SECTIONS)[section]
        size = PAGE_SIZE[template]
        pages = max(1, -(-len(entries) // size))
        if page < 1 or page > pages:
            return None
        chunk = entries[(page - 1) * size : page * size]
        name = TAG_ARCHIVE[script] if section == "tag" else texts.SECTION_NAMES[section][script]
        path = self._listing_path(section, page, script)
        next_url = base + self._listing_path(section, page + 1, script) if page < pages else None
        head_meta = f'<link rel="canonical" href="{base}{path}" />'
        if template == "postlist":
            if next_url:
                head_meta += f'\n<link rel="next" href="{next_url}" />'
            body = self._postlist(chunk, script, base)
            nav = (
                f'<p><div class="wp-pagenavi" style="text-align:center">\n<a href="{next_url}"><b>{texts.NEXT_PAGE[script]}</b></a></div></p>'
                if next_url
                else ""
            )
        else:
            body = self._posts_items(chunk, script, base)
            nav = self._pagenavi(section, page, pages, script, base)
        center = (
            f'<h2 class="pagetitle">【{html.escape(name)}】文章列表</h2>\n'
            '<div id="archive-share"><div class="sharethis-inline-share-buttons"></div></div>\n'
            f"{body}\n{self._promo_list(script, base)}\n{nav}"
        )
        return self._page(script, base, path, name, center, head_meta)

    def _postlist(self, chunk: list[SampleArticle], script: int, base: str) -> str:
        out = []
        for n, article in enumerate(chunk):
            if n % 3 == 0:
                out.append(self._listing_ad(n, base))
            url = base + article.path(traditional=bool(script))
            title = html.escape(article.headline_text(script))
            d = article.date
            section_name = texts.SECTION_NAMES.get(article.section, ("", ""))[script]
            out.append(
                f'<div class="postlist">\n<h4><a href="{url}" target="_blank">{title}</a><span><a href="{url}" '
                f'target="_blank" rel="nofollow">{texts.READ_MORE[script]}</a></span></h4>\n'
                f'<a href="{url}" target="_blank">\n<img src="{base}/bnews/wp-content/uploads/thumb/{article.article_id}.jpg" alt="{title}" />\n</a>\n'
                f'<div class="postcontent">{html.escape(_plain(article.paragraphs[0], script)[:40])} [&hellip;]</div>'
                f'<div class="postmeat al">日期：{d[:4]}年{d[4:6]}月{d[6:]}日 | 分类：'
                f'<a href="{base}/bnews/{article.section}/" rel="category tag">{section_name}</a></div>\n</div>'
            )
        return "\n".join(out)

    def _posts_items(self, chunk: list[SampleArticle], script: int, base: str) -> str:
        out = []
        for n, article in enumerate(chunk):
            if n % 4 == 0:
                out.append(self._listing_ad(n, base))
            url = base + article.path(traditional=bool(script))
            title = html.escape(article.headline_text(script))
            d = article.date
            out.append(
                f'<div class="posts-item">\n<div class="posts-item-thumb"><a href="{url}" target="_blank">'
                f'<img src="{base}/bnews/wp-content/uploads/thumb/{article.article_id}.jpg" alt="{title}" /></a></div>\n'
                f'<div class="posts-item-body"><h3 class="posts-item-title"><a class="posts-item-title-link" href="{url}" '
                f'target="_blank">{title}</a></h3>\n<div class="posts-item-excerpt">'
                f"{html.escape(_plain(article.paragraphs[0], script)[:40])} [&hellip;]</div>\n"
                f'<div class="posts-item-meta"><span class="posts-item-date">{d[:4]}-{d[4:6]}-{d[6:]}</span></div></div>\n</div>'
            )
        return "\n".join(out)

    def _listing_ad(self, n: int, base: str) -> str:
        promo = self.articles[self.promo_ids()[3 + n % 2]]
        return (
            f'<div class="banner-ads archive-auto{n // 3 + 1}">\n<ins class="adsbygoogle" style="display:block" '
            'data-ad-client="ca-pub-2194043486084479" data-ad-slot="9775570531" data-ad-format="auto"></ins>\n'
            "<script>\n(adsbygoogle = window.adsbygoogle || []).push({});\n</script>\n"
            f'<a href="{base}{promo.path()}" target="_blank"><img src="/images/ad738x90.jpg" alt="" /></a>\n</div>'
        )

    def _pagenavi(self, section: str, page: int, pages: int, script: int, base: str) -> str:
        label = f"第 {page} 页，共 {pages} 页" if script == SIMPLIFIED else f"第 {page} 頁，共 {pages} 頁"
        links = [f"<span class='pages'>{label}</span>"]
        for n in range(1, pages + 1):
            if n == page:
                links.append(f"<span class='current'>{n}</span>")
            else:
                links.append(f'<a class="page larger" href="{base}{self._listing_path(section, n, script)}">{n}</a>')
        if page < pages:
            links.append(
                f'<a class="nextpostslink" rel="next" href="{base}{self._listing_path(section, page + 1, script)}">&raquo;</a>'
            )
        return f"<div class='wp-pagenavi'>{''.join(links)}</div>"


def _lastmod(when: datetime | None) -> str:
    return f"<lastmod>{when.astimezone(UTC).isoformat()}</lastmod>" if when else ""


def _urlset(urls: list[tuple[str, datetime | None]]) -> str:
    items = "".join(f"<url><loc>{html.escape(loc)}</loc>{_lastmod(when)}</url>\n" for loc, when in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{items}</urlset>\n'
    )


def _tags(article: SampleArticle) -> list[Pair]:
    """Tags in order of first appearance in the text."""
    seen: list[Pair] = []
    for paragraph in article.paragraphs:
        for kind, words in paragraph:
            if kind == "tag" and words not in seen:
                seen.append(words)
    return seen


def _expected_date(article: SampleArticle) -> str:
    """article:published_time, else the postmeat date and time in the site's offset, else the date."""
    if article.published_time:
        return article.published_time
    d = article.date
    day = f"{d[:4]}-{d[4:6]}-{d[6:]}"
    if article.postmeat and " " in article.postmeat:
        return f"{day}T{article.postmeat.split(' ')[1]}:00{LOCAL_OFFSET}"
    return day


def _plain(paragraph: list[Segment], script: int) -> str:
    return "".join(words[script] for _, words in paragraph)


def _markup(paragraph: list[Segment], script: int, base: str) -> str:
    out = []
    for kind, words in paragraph:
        word = html.escape(words[script])
        if kind == "tag":
            title = texts.TAG_LINK_TITLE[script].format(word)
            out.append(
                f'<a href="{base}/bnews/tag/{quote(words[script])}/" class="st_tag internal_tag" rel="tag" title="{title}">{word}</a>'
            )
        elif kind == "keyword":
            out.append(
                f'<span class=\'wp_keywordlink_affiliate\'><a href="{base}/" title="{word}" target="_blank">{word}</a></span>'
            )
        else:
            out.append(word)
    return "".join(out)


# The share anchor and AuctionX ad slots that close every real article entry.
_SHARE_AND_ADS = (
    "<a name='sharetosocial'></a> <div style=\"margin-bottom:5px;padding-bottom:5px;clear:both\"> "
    '<div id="archive-pix-1" class="banner-ads"> <!-- AuctionX Display platform tag START --> '
    '<div id="27602x728x90x621x_ADSLOT1" clicktrack="%%CLICK_URL_ESC%%"></div>  '
    "<!-- AuctionX Display platform tag END --> </div> "
    '<div id="archive-pix-2" class="banner-ads"> <!-- AuctionX Display platform tag START --> '
    '<div id="27556x300x250x621x_ADSLOT1" clicktrack="%%CLICK_URL_ESC%%" style="margin:0 auto;text-align:center"></div>  '
    "<!-- AuctionX Display platform tag END --> </div> </div>"
)


# The comment area below every real WordPress article: a form, no article text.
_COMMENTS_AREA = (
    '<div id="comments" class="comments-area"><h3 id="reply-title" class="comment-reply-title">发表评论 '
    '<small><a rel="nofollow" id="cancel-comment-reply-link" href="#respond" style="display:none;">取消回复</a></small></h3>'
    '<form action="/bnews/wp-comments-post.php" method="post" id="commentform" class="comment-form">'
    '<p class="comment-notes"><span id="email-notes">电子邮件地址不会被公开。</span> 必填项已用<span class="required">*</span>标注</p>'
    '<p class="comment-form-comment"><label for="comment">评论</label> <textarea id="comment" name="comment" cols="45" rows="8" '
    'maxlength="65525" required="required"></textarea></p><p class="comment-form-author"><label for="author">名称 '
    '<span class="required">*</span></label> <input id="author" name="author" type="text" value="" size="30" maxlength="245" '
    'required="required" /></p><p class="comment-form-email"><label for="email">电子邮件 <span class="required">*</span></label> '
    '<input id="email" name="email" type="text" value="" size="30" maxlength="100" required="required" /></p>'
    '<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="发表评论" /></p></form></div>'
)
