"""The article record. Field order here is the key order of every output line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Article:
    """One news article; every field is documented in ``schemas/article.schema.json``."""

    url: str | None = None
    canonicalUrl: str | None = None
    articleId: str | None = None
    section: str | None = None
    inLanguage: str | None = None
    headline: str | None = None
    datePublished: str | None = None
    datePublishedRaw: str | None = None
    authors: list[dict[str, str]] = field(default_factory=list)
    source: str | None = None
    editor: str | None = None
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    articleBody: str | None = None
    articleBodyHtml: str | None = None
    images: list[dict[str, Any]] = field(default_factory=list)
    relatedArticles: list[dict[str, str]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    site: str | None = None  # added in 1.3.0: fields are added at the end
    dateModified: str | None = None  # added in 1.4.0
    extraction: str | None = None  # added in 1.5.0
