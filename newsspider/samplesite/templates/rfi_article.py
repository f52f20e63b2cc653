"""RFI Chinese's articles: what each one draws beyond the model (lead, byline, photo and credit,
sub-headings, UTC times), its slugs in both editions and its URL scheme."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, unquote

from newsspider.samplesite import texts
from newsspider.samplesite.model import SampleArticle, draw_paragraphs
from newsspider.samplesite.texts import Pair

EDITIONS = ("cn", "tw")
LANG_TAGS = ("zh-Hans", "zh-Hant")
# Listed sections in both scripts; the last is a programme under 专栏检索, two levels deep.
SECTION_NAMES: dict[str, Pair] = {
    "政治": ("政治", "政治"),
    "国际": ("国际", "國際"),
    "经贸": ("经贸", "經貿"),
    "专栏检索/要闻分析": ("专栏检索/要闻分析", "專欄檢索/要聞分析"),
    "法广特稿": ("法广特稿", "法廣特稿"),  # promo pages only self-promotion blocks link to
    "预览": ("预览", "預覽"),  # robots.txt forbids it
}
LISTED_SECTIONS = ("政治", "国际", "经贸", "专栏检索/要闻分析")
PROMO_SECTIONS = ("法广特稿",) * 6
DISALLOWED_SECTION = "预览"
LABELS: list[Pair] = [("台海局势", "台海局勢"), ("中美关系", "中美關係"), ("俄乌战争", "俄烏戰爭"), ("欧洲", "歐洲")]
SUBHEADINGS: list[Pair] = [("背景是什么？", "背景是什麼？"), ("各方如何回应？", "各方如何回應？"), ("下一步", "下一步")]
CREDITS = ("AFP - I-HWA CHENG", "Reuters - Tyrone Siu", "AP - Ng Han Guan", "RFI")
_PUNCTUATION = re.compile(r"[\s！？：|，。、“”]+")


@dataclass(kw_only=True)
class RfiArticle(SampleArticle):
    slugs: Pair  # the slug of each edition: the title's words, lower case
    lead: Pair  # p.t-content__chapo, also the description
    label: Pair  # the section label above the title (a topic, not the URL section)
    authors: list[Pair]
    image: dict | None  # {"src", "caption": Pair, "credit": str | None}
    subheadings: dict[int, Pair]  # paragraph index -> the h2 before it
    published: datetime  # UTC, to the second
    first_modified: datetime  # article:modified_time before any edit
    tags: list[Pair] = field(default_factory=list)
    links_itself: bool = False  # its related list opens with the article itself, as real pages' do

    def article_id_in(self, script: int) -> str:
        return f"{self.date}-{self.slugs[script]}"

    def path(self, traditional: bool = False, amp: bool = False) -> str:
        """The page's path as the site writes it in links: percent-encoded (there is no AMP view)."""
        script = int(traditional)
        section = SECTION_NAMES[self.section][script]
        return quote(f"/{EDITIONS[script]}/{section}/{self.article_id_in(script)}", safe="/")


def slug(headline: str) -> str:
    return _PUNCTUATION.sub("-", headline).strip("-").lower()


def draw_article(rng: random.Random, number: int, section: str, day: date, kind: str, taken: set[str]) -> RfiArticle:
    """A new article; ``taken`` holds every id already used, in either edition (two articles of a
    day with one title get the number RFI would append)."""
    headline = (rng.choice(texts.HEADLINE_OPENERS), rng.choice(texts.HEADLINE_TOPICS))
    slugs = (slug(headline[0][0] + headline[1][0]), slug(headline[0][1] + headline[1][1]))
    stamp = day.strftime("%Y%m%d")
    if f"{stamp}-{slugs[0]}" in taken or f"{stamp}-{slugs[1]}" in taken:
        slugs = (f"{slugs[0]}-{number % 1000}", f"{slugs[1]}-{number % 1000}")
    paragraphs = draw_paragraphs(rng, [])
    published = datetime(
        day.year, day.month, day.day, rng.randint(6, 21), rng.randint(0, 59), rng.randint(0, 59), tzinfo=UTC
    )
    image = None
    if rng.random() < 0.7:
        image = {
            "src": f"https://s.rfi.fr/media/display/{number:x}-caf9-11f0/w:1024/p:16x9/000-{number}.jpg",
            "caption": rng.choice(texts.CAPTIONS),
            "credit": rng.choice(CREDITS) if rng.random() < 0.85 else None,
        }
    authors = rng.sample(texts.AUTHORS, rng.choices([0, 1, 2], weights=[20, 65, 15])[0])
    return RfiArticle(
        article_id=f"{stamp}-{slugs[1] if kind == 'tw_only' else slugs[0]}",
        number=number,
        section=section,
        date=stamp,
        kind=kind,
        headline=headline,
        paragraphs=paragraphs,
        slugs=slugs,
        lead=rng.choice(texts.SENTENCES),
        label=rng.choice(LABELS),
        authors=authors,
        image=image,
        subheadings={i: rng.choice(SUBHEADINGS) for i in range(2, len(paragraphs), 3)},
        published=published,
        first_modified=published + timedelta(seconds=rng.choice([0, 15, 600, 7200])),
        tags=rng.sample(texts.TAGS, rng.randint(0, 3)),
        links_itself=rng.random() < 0.4,
    )


def listing_path(section: str, page: int, script: int) -> str:
    """A section's listing (``section`` "" for the edition's front page), page 2 on as ``?page=N``."""
    name = SECTION_NAMES[section][script] + "/" if section else ""
    return quote(f"/{EDITIONS[script]}/{name}", safe="/") + (f"?page={page}" if page > 1 else "")


def parse_listing_path(path: str) -> tuple[str, int] | None:
    """``(section, script)`` of a listing's decoded path; section "" for the front page."""
    for script, edition in enumerate(EDITIONS):
        prefix = f"/{edition}/"
        if path == prefix:
            return "", script
        if path.startswith(prefix) and path.endswith("/"):
            name = path[len(prefix) : -1]
            found = [s for s in LISTED_SECTIONS if SECTION_NAMES[s][script] == name]
            if found:
                return found[0], script
    return None


ARTICLE_PATH = re.compile(r"^/(?P<edition>cn|tw)/(?P<section>[^/]+(?:/[^/]+)?)/(?P<id>\d{8}-[^/]+)$")


def parse_article_path(path: str) -> tuple[str, str, int] | None:
    """``(section in its script, article id, script)`` of a percent-encoded article path."""
    match = ARTICLE_PATH.match(unquote(path))
    if match is None:
        return None
    return match["section"], match["id"], EDITIONS.index(match["edition"])
