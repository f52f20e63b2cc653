"""Item loaders: which selector feeds which field, and through which processors."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from itemadapter import ItemAdapter
from itemloaders.processors import Compose, Identity, MapCompose, TakeFirst
from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse
from scrapy.loader import ItemLoader
from scrapy.utils.response import get_base_url

from newsspider import SCHEMA_VERSION
from newsspider.cleaning import compiled_css
from newsspider.generic.extract import generic_article
from newsspider.items import Article
from newsspider.processors import (
    credit_authors,
    credit_editor,
    credit_source,
    language_tag,
    might_be_credit,
    normalize_space,
    publication_date,
    strip_site_suffix,
    tag_name,
    unique,
    unique_authors,
)
from newsspider.sites import Site
from newsspider.urls import WEB_SCHEMES, join_url


def absolute_url(value: str | None, loader_context: dict) -> str | None:
    """Resolve ``value`` against the page being loaded; ``None`` for non-web links
    (``javascript:``, ``mailto:``, ``tel:``, ``data:``)."""
    value = normalize_space(value)
    if not value:
        return None
    url = join_url(get_base_url(loader_context["response"]), value)
    return url if url and urlsplit(url).scheme in WEB_SCHEMES else None


def related_article(value: dict[str, str | None], loader_context: dict) -> dict[str, str | None] | None:
    """``{url, headline, articleId}`` with an absolute URL (the id is ``None`` for a link that is not
    an article page); entries without a link or a title are dropped."""
    url = absolute_url(value.get("url"), loader_context)
    headline = normalize_space(value.get("headline"))
    if not url or not headline:
        return None
    parsed = loader_context["site"].parse_article_url(url)
    if parsed is not None and parsed.article_id == loader_context.get("article_id"):
        return None  # a related list that opens with the article itself
    return {"url": url, "headline": headline, "articleId": parsed.article_id if parsed else None}


@lru_cache(maxsize=64)
def _compiled_xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def _string(found: Any) -> str:
    """An attribute's value or an element's text: paths may end either way."""
    return str(found) if isinstance(found, str) else found.text_content()


def _values(root: Any, *xpaths: str) -> list[str]:
    """Values at absolute paths (head metadata, mostly attributes), in the order of ``xpaths``."""
    return [_string(found) for xpath in xpaths for found in _compiled_xpath(xpath)(root)]


def _texts(element: Any, xpath: str) -> list[str]:
    """Text content (or attribute value) of each node ``xpath`` finds from ``element`` (none
    without an element)."""
    if element is None:
        return []
    return [_string(found) for found in _compiled_xpath(xpath)(element)]


def _byline(entry: Any, site: Site) -> list[dict[str, str]]:
    """``{name, nameRaw}`` of each name in the site's byline blocks (the block's text is the raw)."""
    if entry is None or site.byline is None:
        return []
    return [
        {"name": name, "nameRaw": _string(block)}
        for block in _compiled_xpath(site.byline)(entry)
        for name in _texts(block, site.byline_name)
    ]


def published_in_site_zone(value: str | None, loader_context: dict) -> str | None:
    """:func:`publication_date` with the site's zone for local times."""
    return publication_date(value, loader_context["site"].local_utc_offset)


def author_entry(value: str | dict[str, str] | None) -> list[dict[str, str]] | dict[str, str] | None:
    """A credit line's authors, or a byline's ``{name, nameRaw}`` with its whitespace normalised."""
    if isinstance(value, dict):
        name, raw = normalize_space(value.get("name")), normalize_space(value.get("nameRaw"))
        return {"name": name, "nameRaw": raw or name} if name else None
    return credit_authors(value)


def _publication_raw(offset: str, *candidates: str | None) -> str | None:
    """The first candidate that gives a date-time with offset, else the first that gives a date:
    ``article:published_time`` > the date line's date and time > a date alone (meta, date line, URL)."""
    dated = [(value, iso) for value in candidates if (iso := publication_date(value, offset))]
    timed = [value for value, iso in dated if "T" in iso]
    if timed:
        return timed[0]
    # The URL's date stays the raw value even when invalid: validation then drops the record.
    return dated[0][0] if dated else candidates[-1]


def fetched_at(response: TextResponse) -> datetime:
    fetched = response.meta.get(FETCHED_AT) if response.request is not None else None
    return fetched if isinstance(fetched, datetime) else datetime.now(UTC)


def _listed_time(response: TextResponse, day: str) -> str | None:
    """The publication time a feed gave for the page (the spider's ``listed_time``, in the site's
    zone), when it falls on the page's own date: the page's time of last resort."""
    listed = response.meta.get("listed_time") if response.request is not None else None
    return listed if listed and listed[:10].replace("-", "") == day else None


class ArticleLoader(ItemLoader):
    default_item_class = Article
    default_input_processor = MapCompose(normalize_space)
    default_output_processor = TakeFirst()

    url_in = MapCompose(absolute_url)
    canonicalUrl_in = MapCompose(absolute_url)
    inLanguage_in = MapCompose(language_tag)
    headline_in = MapCompose(strip_site_suffix)
    datePublished_in = MapCompose(published_in_site_zone)
    dateModified_in = MapCompose(published_in_site_zone)
    authors_in = MapCompose(author_entry)
    authors_out = Compose(unique_authors)
    source_in = MapCompose(credit_source)
    editor_in = MapCompose(credit_editor)
    tags_in = MapCompose(tag_name)
    tags_out = Compose(unique)
    articleBodyHtml_in = Identity()
    relatedArticles_in = MapCompose(related_article)
    relatedArticles_out = Identity()
    metadata_in = Identity()

    def _get_item_field_attr(self, field_name: str, key: Any, default: Any = None) -> Any:
        # itemloaders builds an ItemAdapter (dataclass reflection) per value to read the field's
        # metadata; the Article class never changes, so its metadata is read once per field.
        cache = _FIELD_META.setdefault(self.default_item_class, {})
        if field_name not in cache:
            cache[field_name] = ItemAdapter.get_field_meta_from_class(self.default_item_class, field_name)
        return cache[field_name].get(key, default)


_FIELD_META: dict[type, dict[str, Any]] = {}
PARSED_ENTRY = "_parsed_entry"
GENERIC = "_generic"  # the page's generic reading, called only when the site's selectors fail
# Request meta: when the response was received (set by the archive, and by re-extraction).
FETCHED_AT = "fetched_at"


def load_article(response: TextResponse, site: Site) -> Article | None:
    """Build the raw record of an article page; ``None`` when the URL is not an article's.

    ``articleBodyHtml`` holds the entry as served: the cleaning pipeline strips it and derives
    ``articleBody``, ``images`` and ``metadata.contentHash`` from what is left.
    """
    parsed = site.parse_article_url(response.url)
    if parsed is None:
        return None
    if site.generic_only:  # no selectors to try: the page's own reading, if it is an article
        text = response.text if response.body else ""
        downloaded = fetched_at(response).strftime("%Y-%m-%dT%H:%M:%SZ")
        return generic_article(text, response.url, site, {}, downloaded, site.name, confirm=True)
    # One parse, of the bytes as they came (Scrapy's response.selector would decode the body to
    # text and parsel encode it again); the loader would otherwise parse the page a second time.
    base_url = get_base_url(response)
    if response.body:
        selector = Selector(body=response.body, encoding=response.encoding, type="html", base_url=base_url)
    else:
        selector = Selector(text="", type="html", base_url=base_url)  # parsel wants text for an empty page
    loader = ArticleLoader(response=response, selector=selector, site=site, article_id=parsed.article_id)
    root = selector.root
    entry = next(iter(compiled_css(site.entry)(root)), None)
    loader.add_value("url", response.url)
    loader.add_value("canonicalUrl", _values(root, site.canonical))
    loader.add_value("canonicalUrl", response.url)
    loader.add_value("site", site.host)
    loader.add_value("extraction", "site")
    loader.add_value("articleId", parsed.article_id)
    loader.add_value("section", parsed.section)
    loader.add_value("inLanguage", _values(root, *site.language))
    loader.add_value("inLanguage", site.default_language[1 if parsed.traditional else 0])

    # Many small nodes are read with lxml from the entry element itself: a Selector per node,
    # and a search of the whole page per query, made these the slowest part of extraction.
    loader.add_value("headline", _texts(entry, site.headline_from_entry))
    loader.add_value("headline", _values(root, site.headline_fallback))

    published = _publication_raw(
        site.local_utc_offset,
        next(iter(_values(root, site.published_time)), None),
        site.date_line_text(next(iter(_texts(entry, site.date_line_from_entry)), None)),
        _listed_time(response, parsed.date),
        parsed.date,
    )
    loader.add_value("datePublished", published)
    loader.add_value("datePublishedRaw", published)
    loader.add_value("dateModified", _values(root, site.modified_time))

    credit_lines = [text for text in _texts(entry, site.credit_blocks) if might_be_credit(text)]
    loader.add_value("authors", _byline(entry, site))
    loader.add_value("authors", credit_lines)
    loader.add_value("source", credit_lines)
    loader.add_value("editor", credit_lines)
    loader.add_value("tags", _texts(entry, site.tags))
    loader.add_value("description", _values(root, *site.description_meta))
    raw_html = lxml.html.tostring(entry, encoding="unicode", with_tail=False) if entry is not None else None
    loader.add_value("articleBodyHtml", raw_html)
    # No entry (the template moved): the related list is looked for in the whole page, to be followed still.
    related = _compiled_xpath(site.related_links)(entry if entry is not None else root)
    loader.add_value("relatedArticles", [{"url": a.get("href"), "headline": a.text_content()} for a in related])
    loader.add_value(
        "metadata",
        {
            # The page's download time: the one its WARC record carries, when the archive is on.
            "dateDownloaded": fetched_at(response).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "spider": site.name,
            "contentHash": None,
            "schemaVersion": SCHEMA_VERSION,
            "version": None,
            "previousHash": None,
        },
    )
    item = loader.load_item()
    # Should the site's selectors find no headline or no body, cleaning reads the page generically.
    item.__dict__[GENERIC] = partial(
        generic_article,
        response.text if response.body else "",
        response.url,
        site,
        downloaded=item.metadata["dateDownloaded"],
        spider=site.name,
    )
    if entry is not None:
        # The parsed entry rides along, so that cleaning need not parse its HTML again; cleaning
        # uses it only while articleBodyHtml is still this very string (see CleaningPipeline).
        item.__dict__[PARSED_ENTRY] = (item.articleBodyHtml, entry)
    return item
