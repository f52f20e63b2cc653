"""Cleaning, validation and de-duplication of article records, in that order.

Every pipeline counts each outcome in the crawler stats under ``newsspider/<stage>/...``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema_rs
from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newsspider import config
from newsspider.cleaning import clean_article_element, clean_article_html
from newsspider.config import COVERAGE_FIELDS
from newsspider.extensions import CrawlState
from newsspider.generic.repair import LOCATED
from newsspider.loaders import GENERIC, PARSED_ENTRY
from newsspider.processors import content_hash


class CleaningPipeline:
    """Strips notices, credits, related and promo lists, ads, share widgets and scripts from
    ``articleBodyHtml`` (``NEWSSPIDER_STRIP_SELECTORS_BASE`` plus ``NEWSSPIDER_STRIP_SELECTORS``),
    then builds ``articleBody``, ``images`` and ``metadata.contentHash`` from what is left."""

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.strip_selectors: dict[str, list[str]] = config.strip_selectors(crawler.settings)
        self.image_credit = tuple(config.setting(crawler.settings, "NEWSSPIDER_IMAGE_CREDIT_SELECTORS"))
        self.fallback = config.setting(crawler.settings, "NEWSSPIDER_GENERIC_FALLBACK")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleaningPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        generic = getattr(item, "__dict__", {}).pop(GENERIC, None)
        had_entry = bool(ItemAdapter(item).get("articleBodyHtml"))
        item = self._cleaned(item)
        adapter = ItemAdapter(item)
        reason = _selectors_failed(adapter, had_entry)
        if reason is None or generic is None or not self.fallback:
            return item
        # The site's selectors found no headline or no body on an article page: keep the article,
        # read generically, and say so (counted; the report lists it and proposes selectors).
        found = generic(self.strip_selectors)
        self.stats.inc_value(f"newsspider/extraction/failed/{reason}")
        if found is None:
            return item  # no body there either: validation drops it with its reason
        self.stats.inc_value("newsspider/extraction/generic")
        for name, count in sorted(getattr(found, "__dict__", {}).pop(LOCATED, {}).items()):
            self.stats.inc_value(f"newsspider/suggest/{name}", count)
        return self._cleaned(found)

    def _cleaned(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        html = adapter.get("articleBodyHtml") or ""
        parsed = getattr(item, "__dict__", {}).pop(PARSED_ENTRY, None)
        if parsed is not None and parsed[0] is html:
            cleaned = clean_article_element(
                parsed[1], html, self.strip_selectors, adapter.get("url") or "", self.image_credit
            )
        else:  # no parsed entry, or the HTML was changed since: parse it
            cleaned = clean_article_html(html, self.strip_selectors, adapter.get("url") or "", self.image_credit)
        adapter["articleBodyHtml"] = cleaned.html
        adapter["articleBody"] = cleaned.text
        adapter["images"] = cleaned.images
        metadata = dict(adapter.get("metadata") or {})
        metadata["contentHash"] = content_hash(cleaned.text)
        adapter["metadata"] = metadata
        for kind, count in sorted(cleaned.stripped.items()):
            self.stats.inc_value(f"newsspider/clean/stripped/{kind}", count)
        self.stats.inc_value("newsspider/clean/items")
        return item


def _selectors_failed(adapter: ItemAdapter, had_entry: bool) -> str | None:
    """Why the site's selectors gave no usable record (``no_entry``, ``no_headline``, ``empty_body``), or ``None``."""
    if adapter.get("extraction") != "site":
        return None
    if not had_entry:
        return "no_entry"
    if not (adapter.get("headline") or "").strip():
        return "no_headline"
    return None if (adapter.get("articleBody") or "").strip() else "empty_body"


def load_schema() -> dict[str, Any]:
    """The record schema shipped with the package (``schemas/article.schema.json``)."""
    text = resources.files("newsspider").joinpath("schemas/article.schema.json").read_text("utf-8")
    return json.loads(text)


def schema_validator() -> Any:
    """The compiled record schema (jsonschema-rs: the same Draft 2020-12, a hundred times faster
    than a pure-Python validator, which made validation the slowest step of extraction)."""
    return jsonschema_rs.validator_for(load_schema())


def record_problem(record: dict[str, Any], validator: Any) -> str | None:
    """A short, countable reason why ``record`` is not a valid article, or ``None``."""
    if not (record.get("headline") or "").strip():
        return "missing_headline"
    if not (record.get("articleBody") or "").strip():
        return "empty_body"
    if validator.is_valid(record):
        return None
    # The most specific error: the deepest place in the record, then the first found.
    error = max(validator.iter_errors(record), key=lambda e: len(e.instance_path))
    where = "/".join(str(p) for p in error.instance_path if not isinstance(p, int)) or "record"
    keyword = next((str(p) for p in reversed(error.schema_path) if isinstance(p, str)), "schema")
    return f"invalid/{where}/{keyword}"


class ValidationPipeline:
    """Drops records that break the JSON Schema, with one counted reason per record."""

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.validator = schema_validator()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        record = dict(adapter.items())  # nested values are plain dicts and lists already
        self._count_coverage(record)
        problem = record_problem(record, self.validator)
        if problem is not None:
            self.stats.inc_value(f"newsspider/validate/dropped/{problem}")
            raise DropItem(f"{problem}: {adapter.get('url')}", log_level="INFO")
        self.stats.inc_value("newsspider/validate/valid")
        return item

    def _count_coverage(self, record: dict[str, Any]) -> None:
        """Which fields article pages yield, valid or not: the drift alarm's raw numbers."""
        self.stats.inc_value("newsspider/coverage/pages")
        for field in COVERAGE_FIELDS:
            if record.get(field):
                self.stats.inc_value(f"newsspider/coverage/{field}")


class DeduplicationPipeline:
    """One record per ``articleId`` per crawl, whichever URL variants led to it."""

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicationPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        article_id = ItemAdapter(item).get("articleId")
        if article_id in self.seen:
            self.stats.inc_value("newsspider/dedupe/dropped/duplicate_article_id")
            raise DropItem(f"duplicate_article_id: {article_id}", log_level="INFO")
        self.seen.add(article_id)
        self.stats.inc_value("newsspider/dedupe/unique")
        return item


class IncrementalPipeline:
    """Emits an article only when it is new (``metadata.version`` 1) or its text changed (the
    version goes up and ``metadata.previousHash`` names the last emitted text). Without the crawl
    state (``NEWSSPIDER_STATE_ENABLED=False``) every record passes with a null version."""

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.state: CrawlState | None = crawler.get_extension(CrawlState)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if self.state is None:
            return item
        adapter = ItemAdapter(item)
        metadata = dict(adapter["metadata"])
        last = self.state.emitted_state(adapter["articleId"])
        if last is not None and last.content_hash == metadata["contentHash"]:
            self.stats.inc_value("newsspider/incremental/unchanged")
            raise DropItem(f"unchanged: {adapter['articleId']}", log_level="DEBUG")
        metadata["version"] = last.version + 1 if last else 1
        metadata["previousHash"] = last.content_hash if last else None
        adapter["metadata"] = metadata
        if not self.state.claim(item):
            # Another worker emitted this version first (or the state failed and the run stops).
            reason = "state_error" if self.state.error else "version_taken"
            self.stats.inc_value(f"newsspider/incremental/{reason}")
            raise DropItem(f"{reason}: {adapter['articleId']}", log_level="INFO")
        self.stats.inc_value(f"newsspider/incremental/{'changed' if last else 'new'}")
        return item
