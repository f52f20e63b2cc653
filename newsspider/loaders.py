"""Item loaders: which selector feeds which field, and through which processors."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from itemloaders.processors import Compose, Identity, MapCompose, TakeFirst
from scrapy.http import TextResponse
from scrapy.loader import ItemLoader
from scrapy.utils.response import get_base_url

from newsspider import SCHEMA_VERSION
from newsspider.items import Article
from newsspider.processors import (
    credit_authors,
    credit_editor,
    credit_source,
    language_tag,
    normalize_space,
    strip_site_suffix,
    tag_name,
    to_iso_date,
    unique,
    unique_authors,
)
from newsspider.sites import bannedbook as site
from newsspider.urls import WEB_SCHEMES, join_url


def absolute_url(value: str | None, loader_context: dict) -> str | None:
    """Resolve ``value`` against the page being loaded; ``None`` for non-web links
    (``javascript:``, ``mailto:``, ``tel:``, ``data:``)."""
    value = normalize_space(value)
    if not value:
        return None
    url = join_url(get_base_url(loader_context["response"]), value)
    return url if url and urlsplit(url).scheme in WEB_SCHEMES else None


def related_article(value: dict[str, str | None], loader_context: dict) -> dict[str, str] | None:
    """``{url, headline}`` with an absolute URL; entries without a link or a title are dropped."""
    url = absolute_url(value.get("url"), loader_context)
    headline = normalize_space(value.get("headline"))
    return {"url": url, "headline": headline} if url and headline else None


class ArticleLoader(ItemLoader):
    default_item_class = Article
    default_input_processor = MapCompose(normalize_space)
    default_output_processor = TakeFirst()

    url_in = MapCompose(absolute_url)
    canonicalUrl_in = MapCompose(absolute_url)
    inLanguage_in = MapCompose(language_tag)
    headline_in = MapCompose(strip_site_suffix)
    datePublished_in = MapCompose(to_iso_date)
    authors_in = MapCompose(credit_authors)
    authors_out = Compose(unique_authors)
    source_in = MapCompose(credit_source)
    editor_in = MapCompose(credit_editor)
    tags_in = MapCompose(tag_name)
    tags_out = Compose(unique)
    articleBodyHtml_in = Identity()
    relatedArticles_in = MapCompose(related_article)
    relatedArticles_out = Identity()
    metadata_in = Identity()


def load_article(response: TextResponse, spider_name: str) -> Article | None:
    """Build the raw record of an article page; ``None`` when the URL is not an article's.

    ``articleBodyHtml`` holds the entry as served: the cleaning pipeline strips it and derives
    ``articleBody``, ``images`` and ``metadata.contentHash`` from what is left.
    """
    parsed = site.parse_article_url(response.url)
    if parsed is None:
        return None
    loader = ArticleLoader(response=response)
    loader.add_value("url", response.url)
    loader.add_css("canonicalUrl", site.CANONICAL)
    loader.add_value("canonicalUrl", response.url)
    loader.add_value("articleId", parsed.article_id)
    loader.add_value("section", parsed.section)
    loader.add_css("inLanguage", list(site.LANGUAGE))
    loader.add_value("inLanguage", "zh-TW" if parsed.traditional else "zh-CN")

    loader.add_xpath("headline", site.HEADLINE_XPATH + "//text()", Compose("".join))
    loader.add_css("headline", site.HEADLINE_FALLBACK)

    published = response.css(site.PUBLISHED_TIME).get()
    if to_iso_date(published) is None:
        published = parsed.date
    loader.add_value("datePublished", published)
    loader.add_value("datePublishedRaw", published)

    credit_lines = [block.xpath("string()").get() for block in response.css(site.CREDIT_BLOCKS)]
    loader.add_value("authors", credit_lines)
    loader.add_value("source", credit_lines)
    loader.add_value("editor", credit_lines)
    loader.add_value("tags", [a.xpath("string()").get() for a in response.css(site.TAGS)])
    loader.add_css("description", list(site.DESCRIPTION))
    loader.add_value("articleBodyHtml", response.css(site.ENTRY).get())
    loader.add_value(
        "relatedArticles",
        [
            {"url": a.attrib.get("href"), "headline": a.xpath("string()").get()}
            for a in response.css(site.RELATED_LINKS)
        ],
    )
    loader.add_value(
        "metadata",
        {
            "dateDownloaded": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "spider": spider_name,
            "contentHash": None,
            "schemaVersion": SCHEMA_VERSION,
            "version": None,
            "previousHash": None,
        },
    )
    return loader.load_item()
