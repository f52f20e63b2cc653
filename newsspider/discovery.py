"""Reading feeds and sitemaps into the links they list and the times they give.

Site-independent: RSS 2.0, RSS 1.0 (RDF) and Atom feeds, FeedBurner's ``origLink``; sitemaps
and sitemap indexes (plain or gzipped) through Scrapy's own :class:`scrapy.utils.sitemap.Sitemap`,
and the ``Sitemap:`` lines of robots.txt. Sizes are capped: a hostile sitemap costs at most
``max_bytes`` of memory and ``max_urls`` entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from io import BytesIO
from urllib.parse import urljoin

import lxml.etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

GZIP_MAGIC = b"\x1f\x8b\x08"
FEED_ROOTS = frozenset({"rss", "RDF", "feed"})
SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})


@dataclass(frozen=True)
class Entry:
    """One link a feed or sitemap lists."""

    url: str
    changed: datetime | None = None  # a sitemap's lastmod, a feed item's updated (else published) time
    published: datetime | None = None  # a feed item's publication time


@dataclass(frozen=True)
class Listing:
    """What one feed or sitemap file gave: ``kind`` is ``feed``, ``urlset`` or ``sitemapindex``.
    ``problem`` names what was wrong with it (``malformed``, ``too_many_urls``), if anything;
    the entries read before the problem are kept."""

    kind: str
    entries: list[Entry]
    problem: str | None = None


class TooLarge(ValueError):
    """A sitemap larger than the cap once decompressed."""


def parse_time(text: str | None) -> datetime | None:
    """A feed or sitemap time as an aware UTC datetime: RFC 822 (RSS ``pubDate``) or W3C/ISO 8601
    (Atom, ``lastmod``, ``dc:date``); a time without a zone is taken as UTC. ``None`` if unreadable."""
    text = (text or "").strip()
    if not text:
        return None
    moment = None
    if text[:1].isdigit():
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            return None
    else:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def root_name(body: bytes) -> str | None:
    """The local name of an XML document's root element, read without parsing the rest; ``None``
    for a body that is not XML (an HTML page, an empty answer)."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<") or head[:15].lower().startswith((b"<!doctype html", b"<html")):
        return None
    try:
        for _, element in lxml.etree.iterparse(
            BytesIO(head[:65536]), events=("start",), recover=True, resolve_entities=False, no_network=True
        ):
            return lxml.etree.QName(element).localname
    except (lxml.etree.XMLSyntaxError, ValueError):
        return None
    return None


def unpack(body: bytes, max_bytes: int) -> bytes:
    """A sitemap's bytes, gunzipped when gzipped (a ``.xml.gz`` served without
    ``Content-Encoding``); :class:`TooLarge` when over ``max_bytes`` either way."""
    if body[:3] == GZIP_MAGIC:
        try:
            body = gunzip(body, max_size=max_bytes)
        except ValueError as exc:  # Scrapy's decompression cap
            raise TooLarge(str(exc)) from None
        except (OSError, EOFError):
            return b""  # not gzip after all, or cut off before any data: nothing to read
    if len(body) > max_bytes:
        raise TooLarge(f"{len(body)} bytes, above the cap of {max_bytes}")
    return body


def read_sitemap(body: bytes, base_url: str, max_urls: int) -> Listing | None:
    """The entries of a sitemap or sitemap index (``None`` when ``body`` is neither), at most
    ``max_urls`` of them."""
    try:
        sitemap = Sitemap(body)
    except (lxml.etree.XMLSyntaxError, StopIteration):
        return None
    if sitemap.type not in SITEMAP_ROOTS:
        return None
    entries: list[Entry] = []
    problem = None
    try:
        for item in sitemap:
            if len(entries) >= max_urls:
                problem = "too_many_urls"
                break
            loc = item.get("loc", "").strip()
            if loc:
                entries.append(Entry(urljoin(base_url, loc), parse_time(item.get("lastmod"))))
    except lxml.etree.XMLSyntaxError:
        problem = "malformed"
    return Listing(sitemap.type, entries, problem)


def sitemaps_in_robots(body: bytes, base_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, in order, once each."""
    return list(dict.fromkeys(sitemap_urls_from_robots(body, base_url=base_url)))


def read_feed(body: bytes, base_url: str) -> Listing | None:
    """The items of an RSS 2.0, RSS 1.0 or Atom feed (``None`` when ``body`` is no feed). An
    item's link is FeedBurner's ``origLink`` when present: the article's own URL, not a redirect."""
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = lxml.etree.fromstring(body, parser)
    except lxml.etree.XMLSyntaxError:
        return None
    if root is None or lxml.etree.QName(root).localname not in FEED_ROOTS:
        return None
    atom = lxml.etree.QName(root).localname == "feed"
    entries = []
    for item in root.iter("{*}entry" if atom else "{*}item"):
        url = _first(item, "origLink") or (_atom_link(item) if atom else _first(item, "link") or _permalink(item))
        if not url:
            continue
        published = parse_time(_first(item, "published", "pubDate", "date", "issued"))
        updated = parse_time(_first(item, "updated", "modified"))
        entries.append(Entry(urljoin(base_url, url), updated or published, published))
    return Listing("feed", entries, "malformed" if parser.error_log else None)


def _first(item: lxml.etree._Element, *names: str) -> str | None:
    """The text of the item's first child with one of ``names`` (any namespace), in that order."""
    for name in names:
        for child in item.iterchildren("{*}" + name):
            text = (child.text or "").strip()
            if text:
                return text
    return None


def _atom_link(entry: lxml.etree._Element) -> str | None:
    for link in entry.iterchildren("{*}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href").strip()
    return None


def _permalink(item: lxml.etree._Element) -> str | None:
    for guid in item.iterchildren("{*}guid"):
        if guid.get("isPermaLink", "true").lower() != "false" and (guid.text or "").strip():
            return guid.text.strip()
    return None
