"""The pages ``bench.generic`` reads, and how a record's fields are scored against the expected ones."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

BENCHMARK = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "article-extraction-benchmark"
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
SAMPLE_BASE = "http://127.0.0.1:8000"
_CHARSET_META_RE = re.compile(r"<meta[^>]*charset=[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    url: str
    body: bytes
    want: Fields


@dataclass(frozen=True)
class Fields:
    headline: str | None
    date: str | None
    authors: frozenset[str]
    body: str


def crawl_text(url: str, body: bytes) -> str:
    """The page's text as the crawl has it: Scrapy's decoding (HTTP header, BOM, meta, detection)."""
    from scrapy.http import HtmlResponse

    return HtmlResponse(url=url, body=body).text


def benchmark_pages() -> dict[str, tuple[str, bytes]]:
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text("utf-8"))
    return {
        key: (item.get("url") or "", gzip.decompress((BENCHMARK / "html" / f"{key}.html.gz").read_bytes()))
        for key, item in truth.items()
    }


def expected_fields(record: dict[str, Any], body_key: str = "articleBody") -> Fields:
    body = record[body_key]
    return Fields(
        headline=record["headline"],
        date=record["datePublished"],
        authors=frozenset(a["name"] for a in record["authors"]),
        body="\n".join(body) if isinstance(body, list) else body,
    )


def sample_pages(site_name: str, count: int) -> list[Page]:
    """The first ``count`` simplified article pages of a sample site, UTF-8 as the server sends them."""
    from newsspider.samplesite.generator import SampleSite

    site = SampleSite(site=site_name)
    pages = []
    for article_id in [a for a in site.public_ids if site.articles[a].kind != "tw_only"][:count]:
        record = site.expected_record(article_id, SAMPLE_BASE)
        _, _, text = site.render(record["url"][len(SAMPLE_BASE) :], SAMPLE_BASE)
        pages.append(Page(record["url"], str(text).encode("utf-8"), expected_fields(record)))
    return pages


def as_gb2312(page: Page) -> Page:
    """The page in GBK bytes labelled ``<meta charset="gb2312">``, as many Chinese sites serve it,
    with no HTTP header to say so; characters GBK lacks become character references."""
    text = _CHARSET_META_RE.sub('<meta charset="gb2312">', page.body.decode("utf-8"), count=1)
    return Page(page.url, text.encode("gbk", errors="xmlcharrefreplace"), page.want)


def corpus_pages() -> dict[str, Page]:
    """RFI's real article page (../shared/corpus) and bannedbook's real article fragment, as saved."""
    rfi = json.loads((FIXTURES / "rfi" / "article-t-dome-20251130.expected.json").read_text("utf-8"))
    rfi_page = BENCHMARK.parents[1] / "corpus" / "rfi" / "article-t-dome-20251130.html"
    fragment = json.loads((FIXTURES / "article-fragment.expected.json").read_text("utf-8"))
    return {
        "RFI real article page": Page(rfi["url"], rfi_page.read_bytes(), expected_fields(rfi, "articleBodyLines")),
        "bannedbook real fragment": Page(
            fragment["url"], (FIXTURES / "article-fragment.html").read_bytes(), expected_fields(fragment)
        ),
    }


def bigram_f1(got: str, want: str) -> float:
    """F1 of the multisets of character bigrams (whitespace dropped). Not evaluate.py's ``\\w+``
    shingles: a run of Chinese characters has no spaces, so ``\\w+`` makes a whole sentence one token."""
    counts = [Counter(pairwise(c for c in text if not c.isspace())) for text in (got, want)]
    overlap = sum((counts[0] & counts[1]).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(counts[0].values()), overlap / sum(counts[1].values())
    return 2 * precision * recall / (precision + recall)


def same_date(got: str | None, want: str | None) -> bool:
    """Within a minute, compared as datetimes; a date without a time is right when its day is the
    expected one's (in the expected value's own offset)."""
    if not got or not want:
        return False
    if len(got) == 10 or len(want) == 10:
        return got[:10] == want[:10]
    got_at, want_at = datetime.fromisoformat(got), datetime.fromisoformat(want)
    if (got_at.tzinfo is None) != (want_at.tzinfo is None):  # a wall time without offset: compared as such
        got_at, want_at = got_at.replace(tzinfo=None), want_at.replace(tzinfo=None)
    return abs((got_at - want_at).total_seconds()) <= 60


def scores(reader: Callable[[Page], Fields], pages: list[Page]) -> dict[str, float]:
    """Mean body bigram F1 and the share of pages whose headline, date and author set are right."""
    got = [(reader(page), page.want) for page in pages]
    return {
        "body": sum(bigram_f1(g.body, w.body) for g, w in got) / len(got),
        "headline": sum(g.headline == w.headline for g, w in got) / len(got),
        "date": sum(same_date(g.date, w.date) for g, w in got) / len(got),
        "authors": sum(g.authors == w.authors for g, w in got) / len(got),
    }


def chinese_sets(count: int) -> dict[str, list[Page]]:
    sets: dict[str, list[Page]] = {}
    for site_name in ("bannedbook", "rfi"):
        pages = sample_pages(site_name, count)
        sets[f"{site_name} sample, UTF-8"] = pages
        sets[f"{site_name} sample, GBK as gb2312"] = [as_gb2312(page) for page in pages]
    for name, page in corpus_pages().items():
        sets[name] = [page]
    sets["RFI real article page, GBK as gb2312"] = [as_gb2312(sets["RFI real article page"][0])]
    return sets
