"""What a news page says about itself, whatever its template: JSON-LD, Open Graph and ``article:*``
meta, ``<meta name="author">``, ``<time datetime>``, canonical and ``hreflang`` links.

The generic extraction reads fields from here when a site file's selectors find nothing (or there
is no site file); each reader is a small function of the parsed page, so a caller takes only what
it needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from newsspider.generic.dates import date_in_text, iso_moment
from newsspider.processors import normalize_space

# JSON-LD types that are an article page's own description (schema.org's Article and its news kinds).
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
    }
)
_JSON_LD = etree.XPath("//script[@type='application/ld+json']")
_META = etree.XPath("/html/head/meta[@property or @name or @itemprop]")
_LINKS = etree.XPath("/html/head/link[@rel][@href]")
_TIMES = etree.XPath("//time[@datetime]")
_HTML_LANG = etree.XPath("/html/@lang")
_TAG_LINKS = etree.XPath("//body//a[contains(concat(' ', normalize-space(@rel), ' '), ' tag ')]")


@dataclass
class PageMetadata:
    """The page's own statements about its article; ``None`` or empty where it says nothing."""

    is_article: bool = False  # og:type=article or an Article-typed JSON-LD object
    headline: str | None = None
    description: str | None = None
    date_published: str | None = None  # ISO 8601 with offset, or a date
    date_modified: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    canonical: str | None = None
    language: str | None = None
    alternates: dict[str, str] = field(default_factory=dict)  # hreflang -> URL
    image: str | None = None
    article_body: str | None = None  # JSON-LD articleBody, when the page gives one
    site_name: str | None = None  # og:site_name or the JSON-LD publisher's name


def json_ld_articles(root: etree._Element) -> list[dict[str, Any]]:
    """The Article-typed objects of the page's JSON-LD blocks (top level, lists and ``@graph``), in
    page order; blocks that are no JSON are skipped."""
    found = []
    for script in _JSON_LD(root):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        found.extend(item for item in _objects(data) if ARTICLE_TYPES & set(_types(item)))
    return found


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _objects(item)
    elif isinstance(data, dict):
        yield data
        yield from _objects(data.get("@graph", []))


def _types(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type")
    return (
        [kind] if isinstance(kind, str) else [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []
    )


def _names(value: Any) -> list[str]:
    """Names of a JSON-LD author value: a string, a Person or Organization, or a list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _text(value: Any) -> str | None:
    return normalize_space(value) if isinstance(value, str) else None


def _meta(root: etree._Element) -> dict[str, list[str]]:
    """``property``/``name``/``itemprop`` (lower-cased) -> contents, in page order."""
    found: dict[str, list[str]] = {}
    for meta in _META(root):
        content = normalize_space(meta.get("content"))
        if content is None:
            continue
        for key in {meta.get(attr, "").strip().lower() for attr in ("property", "name", "itemprop")} - {""}:
            found.setdefault(key, []).append(content)
    return found


def page_metadata(root: etree._Element, site_authors: frozenset[str] = frozenset()) -> PageMetadata:
    """Everything the page says of itself. ``site_authors`` are names a site puts in every page's
    author meta (bannedbook's ``編輯團隊``): no author of the article."""
    meta = _meta(root)
    articles = json_ld_articles(root)
    ld = articles[0] if articles else {}
    first = lambda *keys: next((v for k in keys for v in meta.get(k, [])), None)  # noqa: E731
    authors = _names(ld.get("author")) or meta.get("author", []) or meta.get("article:author", [])
    published = iso_moment(_text(ld.get("datePublished")) or first("article:published_time", "datepublished"))
    modified = iso_moment(_text(ld.get("dateModified")) or first("article:modified_time", "datemodified"))
    out = PageMetadata(
        is_article=bool(articles) or (first("og:type") or "").lower() == "article",
        headline=_text(ld.get("headline")) or first("og:title", "twitter:title"),
        description=_text(ld.get("description")) or first("og:description", "description", "twitter:description"),
        date_published=published or _time_element(root),
        date_modified=modified,
        authors=_unique(normalize_space(a) for a in authors if normalize_space(a) not in site_authors),
        section=_text(ld.get("articleSection")) or first("article:section"),
        tags=_unique(t for t in [*meta.get("article:tag", []), *_keywords(ld.get("keywords"))] if t)
        or _unique(normalize_space(a.xpath("string()")) for a in _TAG_LINKS(root)),
        language=_html_language(root) or _text(ld.get("inLanguage")) or first("og:locale"),
        image=_image(ld.get("image")) or first("og:image"),
        article_body=_text(ld.get("articleBody")),
        site_name=first("og:site_name") or next(iter(_names(ld.get("publisher"))), None),
    )
    for link in _LINKS(root):
        rels = set((link.get("rel") or "").lower().split())
        if "canonical" in rels and out.canonical is None:
            out.canonical = link.get("href").strip()
        elif "alternate" in rels and link.get("hreflang"):
            out.alternates.setdefault(link.get("hreflang").strip(), link.get("href").strip())
    return out


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return [normalize_space(part) or "" for part in value.split(",")]
    return [normalize_space(v) or "" for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _image(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _image(value.get("url"))
    if isinstance(value, list) and value:
        return _image(value[0])
    return None


def _html_language(root: etree._Element) -> str | None:
    found = _HTML_LANG(root)
    return normalize_space(str(found[0])) if found else None


def _time_element(root: etree._Element) -> str | None:
    """The first ``<time datetime>`` that holds a moment, else a date line's, in page order."""
    for element in _TIMES(root):
        moment = iso_moment(element.get("datetime")) or date_in_text(element.xpath("string()"))
        if moment:
            return moment
    return None


def _unique(values: Iterator[str | None] | list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)
