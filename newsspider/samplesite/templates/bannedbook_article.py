"""www.bannedbook.org's articles: what each one draws beyond the model (credit layouts, images,
dates, canonical links), its URL scheme, and the dates a crawl reads from its page."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote, unquote

from newsspider.samplesite import texts
from newsspider.samplesite.model import SIMPLIFIED, TRADITIONAL, SampleArticle, draw_paragraphs
from newsspider.samplesite.texts import Pair

LANG_TAGS = ("zh-CN", "zh-TW")
# (section, listing template): "postlist" is the 2020 template, "posts-item" the newer one.
LISTED_SECTIONS: tuple[tuple[str, str], ...] = (
    ("worldnews", "postlist"),
    ("comments", "posts-item"),
    ("renquan/minyun", "postlist"),
    ("headline", "posts-item"),
)
PROMO_SECTIONS = ("ssgc", "comments", "baitai", "ssgc", "comments", "baitai")
TAG_ARCHIVE: Pair = texts.TAGS[0]  # 俄罗斯: its archive is one of the start points
PAGE_SIZE = {"postlist": 22, "posts-item": 15}
DISALLOWED_SECTION = "members"
REAL_SITE = "https://www.bannedbook.org"
# The offset of the site's local time, in article:published_time values (postmeat lines have none).
LOCAL_OFFSET = "+08:00"
# The server's own URL rules (deliberately not the spider's, so a spider bug cannot hide here).
ARTICLE_PATH = re.compile(
    r"^/bnews/(?P<tw>zh-tw/)?(?P<section>[a-z]+(?:/[a-z]+)?)/(?P<date>\d{8})/(?P<id>\d+)\.html(?P<amp>/amp/?)?$"
)


@dataclass(kw_only=True)
class BannedbookArticle(SampleArticle):
    layout: str  # author_first | credit_first
    credit_style: str  # for credit_first: author_source | source_only | author_ascii
    author: Pair | None
    source: Pair | None
    source_in_src_info: bool
    editor: Pair | None
    image: dict | None
    published_time: str | None
    description_kind: str | None  # og | meta | None
    canonical: bool
    postmeat: str | None = None  # a div.postmeat ac line above the entry: "2024年07月08日 14:30" or the date alone
    canonical_kind: str = "self"  # self | real_host (the real site's URL) | other_section (a relative href)
    relative_links: bool = False  # tag and keyword links in the entry written root-relative
    disclaimer: Pair | None = None  # for credit_first: a disclaimer wording other than the style's own

    def path(self, traditional: bool = False, amp: bool = False) -> str:
        prefix = "/bnews/zh-tw/" if traditional else "/bnews/"
        return f"{prefix}{self.section}/{self.date}/{self.article_id}.html" + ("/amp" if amp else "")


def draw_article(rng: random.Random, seed: int, number: int, section: str, day: date, kind: str) -> BannedbookArticle:
    article_id = str(number)
    layout = rng.choice(["author_first", "credit_first"])
    credit_style = rng.choice(["author_source", "source_only", "author_ascii"])
    has_author = layout == "author_first" or credit_style != "source_only"
    has_source = credit_style != "author_ascii" if layout == "credit_first" else rng.random() < 0.6
    paragraphs = draw_paragraphs(rng, rng.sample(texts.TAGS, rng.randint(0, 3)))
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
    article = BannedbookArticle(
        article_id=article_id,
        number=number,
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
    _add_template_variety(article, random.Random(f"{seed}/{article_id}"))
    return article


def _add_template_variety(article: BannedbookArticle, rng: random.Random) -> None:
    """Postmeat dates, canonical links elsewhere and relative links, drawn from the article's own
    random stream so that adding them left the rest of the site as it was."""
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


def post_time(article: BannedbookArticle, seed: int) -> datetime:
    """When WordPress says the article was published (every post has a time, even where its
    page shows only the date): article:published_time, the postmeat time, or one drawn for it."""
    if article.published_time:
        return datetime.fromisoformat(article.published_time)
    d = article.date
    if article.postmeat and " " in article.postmeat:
        clock = article.postmeat.split(" ")[1]
    else:
        rng = random.Random(f"{seed}/{article.article_id}/time")
        clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
    return datetime.fromisoformat(f"{d[:4]}-{d[4:6]}-{d[6:]}T{clock}:00{LOCAL_OFFSET}")


def expected_date(article: BannedbookArticle) -> str:
    """article:published_time, else the postmeat date and time in the site's offset, else the date."""
    if article.published_time:
        return article.published_time
    d = article.date
    day = f"{d[:4]}-{d[4:6]}-{d[6:]}"
    if article.postmeat and " " in article.postmeat:
        return f"{day}T{article.postmeat.split(' ')[1]}:00{LOCAL_OFFSET}"
    return day


def related_path(target: BannedbookArticle, variant: str, script: int) -> str:
    """Where a related list links ``target``: plain, in the mirror (``tw``) or its AMP view."""
    return target.path(traditional=variant == "tw" or script == TRADITIONAL, amp=variant == "amp")


def canonical_href(article: BannedbookArticle, script: int, base: str) -> str:
    """The href of the article's link[rel=canonical], as the page writes it."""
    path = article.path(traditional=bool(script))
    if article.canonical_kind == "real_host":
        return REAL_SITE + path
    if article.canonical_kind == "other_section":
        sections = [s for s, _ in LISTED_SECTIONS if s != article.section]
        other = sections[int(article.article_id) % len(sections)]
        return path.replace(f"/{article.section}/", f"/{other}/", 1)
    return base + path


def listing_path(section: str, page: int, script: int) -> str:
    prefix = "/bnews/zh-tw/" if script else "/bnews/"
    name = f"tag/{quote(TAG_ARCHIVE[script])}" if section == "tag" else section
    return f"{prefix}{name}/" + (f"page/{page}/" if page > 1 else "")


def parse_listing_path(path: str) -> tuple[str, int, int] | None:
    """``(section, page, script)`` of a listing page's path; ``section`` is "tag" for the tag archive."""
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
