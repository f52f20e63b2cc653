"""The sample site's articles, whatever site it imitates: which articles exist (ids, kinds,
sections, days), what they say (headlines, paragraphs, tags), how they link each other, how they
change between crawls, and which of them the feeds and sitemaps list.

A :class:`SiteTemplate` says what is particular to one site: its URL scheme, the attributes it
draws for each article, its pages and the record a correct crawl gets from each article.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from newsspider.samplesite import texts
from newsspider.samplesite.texts import Pair

SIMPLIFIED, TRADITIONAL = 0, 1
Segment = tuple[str, Pair]  # ("text" | "tag" | "keyword", words)
# Articles a correct crawl must emit; the other kinds (promo, disallowed) no crawl should reach.
PUBLIC_KINDS = ("listed", "orphan", "tw_only")


@dataclass(kw_only=True)
class SampleArticle:
    article_id: str
    number: int  # orders articles of one day, as the site's own post ids do
    section: str
    date: str  # YYYYMMDD
    kind: str  # listed | orphan | tw_only | promo | disallowed
    headline: tuple[Pair, Pair]  # (opener, topic): the topic is bold in related lists
    paragraphs: list[list[Segment]]
    related: list[tuple[str, str]] = field(default_factory=list)  # (article id, link variant)
    edits: int = 0
    modified: datetime | None = None  # the last edit

    def headline_text(self, script: int) -> str:
        opener, topic = self.headline
        return opener[script] + topic[script]

    def day(self) -> date:
        return date(int(self.date[:4]), int(self.date[4:6]), int(self.date[6:]))


@dataclass(frozen=True)
class FaultMarkup:
    """Where the fault plan (:mod:`newsspider.samplesite.faults`) breaks one template's pages."""

    entry: tuple[str, str]  # the markup opening the article entry, and the first markup after its content
    second_entry: str  # a second entry element after the real one, holding no article text
    headline: re.Pattern[str]  # every headline the page gives but og:title (which is removed besides)
    body_text: re.Pattern[str]  # every part of the entry that gives the article body a line
    related_end: str  # the end of an article's related list: the odd links go just before it
    related_item: str  # one related link, with {href} for its target
    pagination: re.Pattern[str]  # a listing's pagination markup, taken out of the trap's pages
    trap_path: str  # a listing whose pages never end; page N is trap_path + trap_page
    trap_page: str  # with {n}, the page number
    malformed_feed: str  # a feed's path, served cut off
    sitemap_index: str  # the sitemap index a gzip-bomb sitemap is added to
    bomb_sitemap: str


class SiteTemplate(ABC):
    """What one imitated site adds to the model: its URLs, pages and expected records."""

    spider: str  # the spider whose site this imitates
    sections: tuple[str, ...]  # the listed sections, in the order new articles are spread over them
    promo_sections: tuple[str, ...]  # sections of the pages only promo blocks link to
    disallowed_section: str  # the section robots.txt forbids
    related_variants: tuple[str, str, str]  # how related lists link: plain, the other edition, a third form
    related_weights: tuple[int, int, int] = (70, 15, 15)  # how often each is drawn
    feed_items: int  # items in a section's feed
    fault_markup: FaultMarkup

    def __init__(self, site: SiteModel):
        self.site = site

    @abstractmethod
    def draw_article(self, rng: random.Random, number: int, section: str, day: date, kind: str) -> SampleArticle:
        """A new article; ``rng`` is the site's stream, so the order of draws decides the site."""

    @abstractmethod
    def listing(self, section: str) -> list[SampleArticle]:
        """The entries of a section's listing, newest first."""

    @abstractmethod
    def start_urls(self, base: str) -> list[str]: ...

    @abstractmethod
    def sitemap_paths(self) -> list[str]:
        """The article sitemaps the sitemap index lists, in its order."""

    @abstractmethod
    def render(self, path: str, base: str, site_base: str) -> tuple[int, str, str | bytes]: ...

    @abstractmethod
    def expected_record(self, article: SampleArticle, base: str, spider: str, traditional: bool) -> dict: ...

    @abstractmethod
    def listing_path(self, section: str) -> str:
        """The first page of a section's listing, in the simplified edition."""

    @abstractmethod
    def feed_path(self, section: str) -> str:
        """A section's own feed (RSS where the site has both)."""

    @abstractmethod
    def atom_feed_path(self, section: str) -> str:
        """A section's Atom feed, whose entries say when each article was last updated."""

    @abstractmethod
    def page_size(self, section: str) -> int:
        """Entries on each page of a section's listing."""

    @abstractmethod
    def article_id_at(self, path: str) -> str | None:
        """The id of the article whose page (any edition or view) is at ``path``, as requested
        (percent-encoded, perhaps with a query); ``None`` for any other page."""

    @abstractmethod
    def post_time(self, article: SampleArticle) -> datetime:
        """When the site says the article was published, to the second (feeds and sitemaps need one)."""

    @abstractmethod
    def expected_date(self, article: SampleArticle) -> str:
        """``datePublished`` of a crawl that read the article page alone."""


class SiteModel:
    """All articles of a sample site, generated from a seed; pages come from its template."""

    def __init__(self, template: type[SiteTemplate], seed: int, articles: int, variant: str, sitemap_size: int):
        self.template = template(self)
        if articles < len(self.template.sections) * 2:
            raise ValueError(f"the sample site needs at least {len(self.template.sections) * 2} articles")
        self.seed = seed
        self.variant = variant
        self.sitemap_size = sitemap_size
        self.rng = random.Random(seed)
        self.articles: dict[str, SampleArticle] = {}
        self.published: list[str] = []
        self._sorted_cache: tuple[int, list[SampleArticle]] | None = None
        self._promo_cache: list[str] | None = None
        self._build(articles)

    @property
    def spider(self) -> str:
        return self.template.spider

    # --- changes between crawls (scheduled-crawl tests) ----------------------------------------

    def publish(self, count: int, day: date | None = None) -> list[str]:
        """Add ``count`` articles, newer than every other (or dated ``day``: articles published
        relative to a test's "now"), to the top of the category listings."""
        newest = max(self.articles.values(), key=lambda a: (a.date, a.number))
        if day is None:
            day = newest.day() + timedelta(days=1)
        next_number = max(a.number for a in self.articles.values()) + 1
        public = self.public_ids
        added = []
        sections = self.template.sections
        for n in range(count):
            article = self._add(next_number + n, sections[n % len(sections)], day, "listed")
            picks = self.rng.sample(public, 3)
            article.related = [(a, self._variant(a)) for a in picks]
            added.append(article.article_id)
        self.published += added
        return added

    def edit(self, count: int, ids: list[str] | None = None, at: datetime | None = None) -> list[str]:
        """Change the text of ``count`` articles from the first pages of the category listings,
        or of the articles ``ids`` (say, ones just published), at ``at`` (default: now), which
        the sitemaps' ``lastmod`` and the Atom feeds' ``updated`` then show."""
        candidates = sorted(
            a.article_id
            for section in self.template.sections
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
        sections = self.template.sections
        day = date(2024, 6, 30)
        number = 2_050_000 + 60 * count
        orphan_count = max(2, count // 12)
        kinds = ["listed"] * (count - orphan_count - 2) + ["orphan"] * orphan_count + ["tw_only"] * 2
        rng.shuffle(kinds)
        for i, kind in enumerate(kinds):
            self._add(number, sections[i % len(sections)], day, kind)
            number -= rng.randint(1, 50)
            if rng.random() < 0.3:
                day -= timedelta(days=1)
        # Pages only promo lists, ad blocks and sidebars link to, and one robots.txt forbids.
        for n, section in enumerate(self.template.promo_sections):
            self._add(1_850_000 + n * 7, section, date(2023, 2, 19) - timedelta(days=n), "promo")
        self._add(number - 1, self.template.disallowed_section, day, "disallowed")

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
        plain, other_edition, third = self.template.related_variants
        if self.articles[article_id].kind == "tw_only":
            return other_edition
        return self.rng.choices([plain, other_edition, third], weights=self.template.related_weights)[0]

    def _add(self, number: int, section: str, day: date, kind: str) -> SampleArticle:
        article = self.template.draw_article(self.rng, number, section, day, kind)
        self.articles[article.article_id] = article
        return article

    # --- what the site holds -------------------------------------------------------------------

    @property
    def public_ids(self) -> list[str]:
        """Articles a correct crawl must emit, newest first."""
        return [a.article_id for a in self._sorted() if a.kind in PUBLIC_KINDS]

    def _sorted(self) -> list[SampleArticle]:
        """Newest first; cached until articles are added (pages ask for it on every render)."""
        if self._sorted_cache is None or self._sorted_cache[0] != len(self.articles):
            ordered = sorted(self.articles.values(), key=lambda a: (a.date, a.number), reverse=True)
            self._sorted_cache = (len(self.articles), ordered)
        return self._sorted_cache[1]

    def listed(self) -> list[SampleArticle]:
        """Every listed article, newest first."""
        return [a for a in self._sorted() if a.kind == "listed"]

    def promo_ids(self) -> list[str]:
        """Pages only promo lists, ads and sidebars link to, and the robots.txt-forbidden one."""
        if self._promo_cache is None:
            self._promo_cache = [a.article_id for a in self.articles.values() if a.kind in ("promo", "disallowed")]
        return self._promo_cache

    def listing(self, section: str) -> list[SampleArticle]:
        return self.template.listing(section)

    def start_urls(self, base: str) -> list[str]:
        return self.template.start_urls(base.rstrip("/"))

    def expected_records(self, base: str, spider: str | None = None) -> dict[str, dict]:
        """articleId -> the record a correct crawl emits (``metadata.dateDownloaded`` aside)."""
        return {article_id: self.expected_record(article_id, base, spider) for article_id in self.public_ids}

    def expected_record(self, article_id: str, base: str, spider: str | None = None, traditional: bool = False) -> dict:
        """The record of one article's page; the simplified one unless ``traditional`` (or the
        article only exists in the traditional edition)."""
        article = self.articles[article_id]
        traditional = traditional or article.kind == "tw_only"
        return self.template.expected_record(article, base.rstrip("/"), spider or self.spider, traditional)

    def render(self, path: str, base: str, site_base: str | None = None) -> tuple[int, str, str | bytes]:
        """``(status, content type, body)`` for a request path on the site served at ``base``;
        feeds served for another host (FeedBurner's) point at ``site_base``, the site's own
        address, whatever host they were asked on."""
        return self.template.render(path, base.rstrip("/"), (site_base or base).rstrip("/"))

    # --- feeds and sitemaps -------------------------------------------------------------------

    def post_time(self, article: SampleArticle) -> datetime:
        return self.template.post_time(article)

    def last_modified(self, article: SampleArticle) -> datetime:
        return article.modified or self.post_time(article)

    def expected_feed_date(self, article_id: str) -> str:
        """``datePublished`` of an article found through a feed: the page's own when it gives a
        time, else the feed item's time."""
        article = self.articles[article_id]
        own = self.template.expected_date(article)
        return own if "T" in own else self.post_time(article).isoformat()

    def feed_entries(self, section: str) -> list[SampleArticle]:
        """The items of a section's feed: its newest listed articles."""
        return self.listing(section)[: self.template.feed_items]

    def sitemap_articles(self) -> list[SampleArticle]:
        """Every article, oldest first, as post sitemaps list them."""
        return list(reversed(self._sorted()))

    def sitemap_count(self) -> int:
        return max(1, -(-len(self.articles) // self.sitemap_size))

    def sitemap_paths(self) -> list[str]:
        return self.template.sitemap_paths()

    def sitemap_chunk(self, n: int) -> list[SampleArticle]:
        """The articles of the ``n``-th sitemap (from 0)."""
        return self.sitemap_articles()[n * self.sitemap_size : (n + 1) * self.sitemap_size]


def plain(paragraph: list[Segment], script: int) -> str:
    return "".join(words[script] for _, words in paragraph)


def tags_in(article: SampleArticle) -> list[Pair]:
    """Tags in order of first appearance in the text."""
    seen: list[Pair] = []
    for paragraph in article.paragraphs:
        for kind, words in paragraph:
            if kind == "tag" and words not in seen:
                seen.append(words)
    return seen


def draw_paragraphs(rng: random.Random, tags: list[Pair]) -> list[list[Segment]]:
    """Four to eight paragraphs of sentences, with tag and keyword mentions; each tag at least once."""
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
    for tag in tags:
        if not any(seg == ("tag", tag) for para in paragraphs for seg in para):
            paragraphs[rng.randrange(len(paragraphs))][:0] = [("tag", tag), ("text", ("消息：", "消息："))]
    return paragraphs
