"""The record of an article page read without the site file's selectors: the page's own metadata
(:mod:`.metadata`), the body by :mod:`.body`, and where the site is known its URL rule, its strip
selectors (promo lists, ads and notices never reach the body) and its credit-line rules.

The record has the crawl's schema, ``extraction: "generic"``; :mod:`.repair` says which elements held
its fields, for the report's selector suggestions.
"""

from __future__ import annotations

import copy
import re
from html import escape
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from newsspider import SCHEMA_VERSION
from newsspider.cleaning import compiled_css
from newsspider.generic.body import body_lines
from newsspider.generic.dates import date_in_text, date_in_url
from newsspider.generic.metadata import PageMetadata, page_metadata
from newsspider.generic.repair import LOCATED, located
from newsspider.items import Article
from newsspider.processors import language_tag, normalize_space, parse_credit, to_iso_date, unique_authors
from newsspider.sites import Site
from newsspider.urls import WEB_SCHEMES, join_url, url_article_id

_H1 = etree.XPath("//h1")
# What sites put in every page's author meta instead of the writer (a site file may name its own).
TEAM_NAMES = frozenset(
    {"編輯團隊", "编辑团队", "编辑部", "編輯部", "本网编辑", "本網編輯", "Editorial Team", "Staff", "admin"}
)
_HEADINGS = etree.XPath("//body//*[self::h1 or self::h2]")
_TITLE = etree.XPath("/html/head/title")
# Characters of body that make a page an article when it says nothing of itself (no og:type, no date).
CONFIRMING_BODY = 500
DATE_WINDOW = 1500  # characters after the headline where its date line stands
_CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BODY_TEXT = etree.XPath("string(/html/body)")


def _without(root: etree._Element, strip_selectors: dict[str, list[str]]) -> etree._Element:
    """``root`` with every strip selector's match removed (the site's promo lists, ads, notices)."""
    selectors = [s for kind in strip_selectors.values() for s in kind]
    if selectors:
        for element in compiled_css(", ".join(selectors))(root):
            if element.getparent() is not None:
                element.getparent().remove(element)
    return root


def _split_credits(lines: list[str]) -> tuple[list[str], list[dict[str, str]], str | None, str | None]:
    """Body lines without the credit lines, and what those said (authors, source, editor)."""
    kept, authors, source, editor = [], [], None, None
    for line in lines:
        credit = parse_credit(line)
        if credit is None:
            kept.append(line)
            continue
        authors += credit.authors
        source, editor = source or credit.source, editor or credit.editor
    return kept, authors, source, editor


def _body_html(lines: list[str], image: str | None) -> str:
    """HTML the cleaning pipeline reads back as the same text: a paragraph per line, the lead image first."""
    figure = f'<figure><img src="{escape(image)}"></figure>' if image else ""
    return "<div>" + figure + "".join(f"<p>{escape(line)}</p>" for line in lines) + "</div>"


def generic_article(
    text: str,
    url: str,
    site: Site | None,
    strip_selectors: dict[str, list[str]],
    downloaded: str,
    spider: str,
    confirm: bool = False,
) -> Article | None:
    """The record of the page ``text`` (decoded) fetched at ``url``; ``None`` when it holds no
    article body. A known site gives the id, section and date of its URL rule, strips its non-article
    matter first, reads its credit lines and removes its title suffix."""
    text = _CONTROL_CHARS_RE.sub("", text)  # lxml refuses them in text it is given back
    try:
        root = etree.fromstring(text, etree.HTMLParser()) if text.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return None
    meta = page_metadata(root, site.site_authors if site else TEAM_NAMES)
    parsed = site.parse_article_url(url) if site else None
    canonical = join_url(url, meta.canonical) or url
    headline = _headline(meta, root, site)
    offset = site.local_utc_offset if site else None
    # The URL's day: the site's rule says where it is; else any date the path shows.
    url_day = to_iso_date(parsed.date) if parsed and parsed.date else date_in_url(unquote(urlsplit(url).path))
    line = _date_line(_BODY_TEXT(root), headline, offset)
    if line and url_day and line[:10] != url_day:
        line = None  # a date of another article the page lists, not this one's
    page_date = meta.date_published or line
    published = page_date or url_day
    image = join_url(url, meta.image) if meta.image else None
    cleaned = _without(copy.deepcopy(root), strip_selectors)
    lines = body_lines(etree.tostring(cleaned, encoding="unicode", method="html"), url)
    lines, credited, source, editor = _split_credits(lines)
    # A page that says nothing of itself is an article by a long body (shorter where its URL is dated).
    enough = CONFIRMING_BODY if url_day is None else CONFIRMING_BODY // 5
    if not lines or (confirm and not (meta.is_article or page_date or sum(map(len, lines)) >= enough)):
        return None
    article = Article(
        url=url,
        canonicalUrl=canonical,
        articleId=parsed.article_id if parsed else url_article_id(canonical),
        section=parsed.section if parsed else _url_section(canonical),
        inLanguage=language_tag(meta.language) or (site.default_language[0] if site else "und"),
        headline=headline,
        datePublished=published,
        datePublishedRaw=published,
        authors=unique_authors([*({"name": a, "nameRaw": a} for a in meta.authors), *credited]),
        source=source,
        editor=editor,
        tags=meta.tags,
        description=meta.description,
        articleBody="\n".join(lines),
        articleBodyHtml=_body_html(lines, image),
        images=[],
        relatedArticles=_related(root, url, site, parsed.article_id if parsed else None),
        metadata=_metadata(downloaded, spider),
        site=site.host if site else (urlsplit(canonical).hostname or "").lower(),
        dateModified=meta.date_modified,
        extraction="generic",
    )
    article.__dict__[LOCATED] = located(root, lines, headline, published)
    return article


def _headline(meta: PageMetadata, root: etree._Element, site: Site | None) -> str | None:
    """The meta title without what the site appends to it: the page's heading that opens it (else
    its first h1)."""
    headings = [text for h in _HEADINGS(root) if (text := normalize_space(h.xpath("string()")))]
    title = meta.headline
    if title:
        title = next((h for h in headings if len(h) >= 4 and title.startswith(h)), title)
        if meta.site_name:  # "Title - Site Name", when no heading gave the title alone
            title = re.sub(rf"\s*[-|–—_]\s*{re.escape(meta.site_name)}$", "", title) or title
    else:  # no meta title: the first h1; an h2 only in a fragment saved without its <head>
        title = next((normalize_space(h.xpath("string()")) for h in _H1(root)), None)
        if title is None and not _TITLE(root):
            title = next(iter(headings), None)
    if title and site is not None:
        title = normalize_space(site.site_name_suffix_re.sub("", title))
    return title


def _date_line(text: str, headline: str | None, offset: str | None) -> str | None:
    """The first date shown after the headline (a page's chrome lists other articles' dates before
    it), else near the top of the page."""
    at = text.find(headline) if headline else -1
    return date_in_text(text[at : at + DATE_WINDOW] if at >= 0 else text[:DATE_WINDOW], offset)


def _related(root: etree._Element, url: str, site: Site | None, own_id: str | None) -> list[dict[str, str | None]]:
    """The site's related list, looked for in the whole page (its entry is what may have moved)."""
    if site is None:
        return []
    found = []
    for link in etree.XPath(site.related_links)(root):
        target, headline = join_url(url, link.get("href")), normalize_space(link.xpath("string()"))
        if not target or not headline or urlsplit(target).scheme not in WEB_SCHEMES:
            continue
        parsed = site.parse_article_url(target)
        if parsed is None or parsed.article_id != own_id:
            found.append({"url": target, "headline": headline, "articleId": parsed.article_id if parsed else None})
    return found


def _url_section(url: str) -> str:
    """The first path segment of a URL with no site rule (``news`` for a page at the root)."""
    first = unquote(urlsplit(url).path).strip("/").split("/")[0]
    return "".join(first.split()) or "news"


def _metadata(downloaded: str, spider: str) -> dict[str, Any]:
    return {
        "dateDownloaded": downloaded,
        "spider": spider,
        "contentHash": None,
        "schemaVersion": SCHEMA_VERSION,
        "version": None,
        "previousHash": None,
    }
