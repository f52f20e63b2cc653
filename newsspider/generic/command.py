"""``python -m newsspider extract FILE... [--url URL] [--site NAME | --generic] [-o out.jsonl]``: records
from saved pages (``.html``, ``.html.gz``, WARC files), one JSON line per article page, the crawl's schema.

The page's site is ``--site``, else the site file whose host serves ``--url``, else the page's canonical
or ``og:url``, else the WARC record's URI; ``--generic`` (or no site file for the host) reads the page
generically. A page is decoded as the crawl decodes it (the HTTP header's charset when the WARC has one,
a BOM, ``<meta charset>``, then detection), then read as a crawl reads it: the site's loader, cleaning
and validation, with the generic fallback.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from lxml import etree
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Response

from newsspider import config, sites
from newsspider.archive.reader import DamagedRecord, Located, index, response_at, warc_problem
from newsspider.archive.reextract import site_settings
from newsspider.cli import Parser
from newsspider.errors import BadInput
from newsspider.generic.extract import generic_article
from newsspider.loaders import fetched_at, load_article
from newsspider.sites import Site

_PAGE_URL = etree.XPath("/html/head/link[@rel='canonical']/@href | /html/head/meta[@property='og:url']/@content")


_HINTS = {
    "no_url": ": the page names no canonical or og:url; give --url",
    "no_article": ": no article body found",
    "not_article_url": ": the site's URL rule takes its URL for no article's (a listing?); --generic reads it anyway",
}


class _Crawler:
    """What the pipelines and the response repair read of a crawler: settings and stats."""

    def __init__(self, settings: Any) -> None:
        from scrapy.statscollectors import MemoryStatsCollector

        self.settings = settings
        self.stats = MemoryStatsCollector(self)  # type: ignore[arg-type]


def site_for(url: str | None) -> Site | None:
    """The site file whose host (or a subdomain of it) serves ``url``."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    for name in sites.names():
        site = sites.get(name)
        if host and (host == site.host or host.endswith("." + site.host.split(".", 1)[-1])):
            return site
    return None


def pages(path: Path, url: str | None) -> Iterator[tuple[str, Response | None, str]]:
    """``(source, response, problem)`` for each page of a saved file: a WARC's HTML responses, or
    the one page of an ``.html``/``.html.gz`` file (at ``url``, else its canonical or og:url)."""
    if warc_problem(path) is None:
        for found in index(path):
            if not isinstance(found, Located):
                yield f"{path}@{found.offset}", None, f"damaged/{found.kind}"
                continue
            try:
                yield f"{path}@{found.offset}", response_at(found), ""
            except DamagedRecord as exc:
                yield f"{path}@{found.offset}", None, f"damaged/{exc.damaged.kind}"
        return
    body = path.read_bytes()
    if path.suffix == ".gz":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError):
            yield str(path), None, "not_gzip"
            return
    page_url = url or _own_url(body)
    if page_url is None:
        yield str(path), None, "no_url"
        return
    yield str(path), HtmlResponse(url=page_url, body=body), ""


def _own_url(body: bytes) -> str | None:
    """The page's canonical link or og:url, read from its bytes (ASCII: URLs are)."""
    try:
        root = etree.fromstring(body, etree.HTMLParser())
    except (etree.ParserError, ValueError):
        return None
    if root is None:
        return None
    found = [str(v).strip() for v in _PAGE_URL(root)]
    return next((u for u in found if u.startswith(("http://", "https://"))), None)


class Extractor:
    """One site's reading (loader, cleaning, validation), or the generic one."""

    def __init__(self, site: Site | None, overrides: dict[str, str]) -> None:
        from newsspider.middlewares import ResponseRepairMiddleware
        from newsspider.pipelines import CleaningPipeline, ValidationPipeline

        settings = site_settings(overrides, site) if site else config.project_settings(overrides)
        if site is not None and (chosen := config.setting(settings, "NEWSSPIDER_SITE_SELECTORS")):
            site = site.with_selectors(chosen)
        self.site = site
        crawler = _Crawler(settings)
        self.strip_selectors = config.strip_selectors(settings)
        self.repair = ResponseRepairMiddleware(crawler)  # type: ignore[arg-type]
        self.pipelines = [CleaningPipeline(crawler), ValidationPipeline(crawler)]  # type: ignore[arg-type]

    def record(self, response: Response) -> tuple[dict[str, Any] | None, str]:
        response = self.repair.process_response(response.request, response) if response.request else response
        if not isinstance(response, HtmlResponse):
            return None, "not_html"
        if self.site is not None and self.site.parse_article_url(response.url) is None:
            return None, "not_article_url"  # as the crawl, which never takes such a page for an article
        item = load_article(response, self.site) if self.site else None
        if item is None:  # no site file: the page read generically
            downloaded = _downloaded(response)
            spider = self.site.name if self.site else "news"
            item = generic_article(response.text, response.url, self.site, self.strip_selectors, downloaded, spider)
            if item is None:
                return None, "no_article"
        try:
            for pipeline in self.pipelines:
                item = pipeline.process_item(item)
        except DropItem as exc:
            return None, f"dropped/{str(exc).split(':', 1)[0]}"
        return ItemAdapter(item).asdict(), ""


def _downloaded(response: Response) -> str:
    return fetched_at(response).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv: list[str] | None = None) -> int:
    parser = Parser(
        "extract", "Records from saved pages (.html, .html.gz, WARC files), one JSON line per article page."
    )
    parser.add_argument("files", nargs="+", type=Path, help=".html, .html.gz or WARC files")
    parser.add_argument("--url", help="the page's URL (one page): chooses the site, and resolves its links")
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--site", choices=sites.names(), help="read with this site file")
    chosen.add_argument("--generic", action="store_true", help="read generically, whatever the site")
    parser.add_argument("-o", "--output", type=Path, help="JSON Lines file to write (default: standard output)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="a setting, as -s")
    try:
        args = parser.parse_args(argv)
        overrides = config.command_line_settings(args.set)
        config.project_settings(overrides)  # a bad setting is refused before anything is read
        for path in args.files:
            if path.is_dir():
                raise BadInput(f"{path}: a folder; give the files in it")
            if not path.is_file():
                raise BadInput(f"no such file: {path}")
        if args.url and len(args.files) > 1:
            raise BadInput("--url names one page: give one file with it")
    except BadInput as exc:
        print(f"newsspider extract: error: {exc}", file=sys.stderr)
        return 2
    counts: Counter[str] = Counter()
    extractors: dict[str | None, Extractor] = {}
    try:
        out = _open(args.output) if args.output else sys.stdout
    except OSError as exc:
        reason = exc.strerror or exc
        print(f"newsspider extract: error: -o {args.output}: cannot be written ({reason})", file=sys.stderr)
        return 3
    try:
        for path in args.files:
            for source, response, problem in pages(path, args.url):
                record, problem = _read(response, args, overrides, extractors) if response else (None, problem)
                if record is None:
                    counts[f"skipped/{problem}"] += 1
                    print(
                        f"newsspider extract: {source}: no record ({problem}{_HINTS.get(problem, '')})", file=sys.stderr
                    )
                    continue
                counts[f"records/{record['extraction']}"] += 1
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except OSError as exc:
        print(f"newsspider extract: error: the output could not be written ({exc.strerror})", file=sys.stderr)
        return 3
    finally:
        if args.output:
            out.close()
    records = sum(n for k, n in counts.items() if k.startswith("records/"))
    summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    print(f"extract: {records} record(s) from {sum(counts.values())} page(s) ({summary})", file=sys.stderr)
    damaged = sum(n for k, n in counts.items() if k.startswith("skipped/damaged/"))
    return 0 if records and not damaged else 3  # nothing read, or damage that may have cost a record


def _open(path: Path) -> Any:
    """The output file, its folder made as a crawl's output folder is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8")


def _read(
    response: Response, args: argparse.Namespace, overrides: dict[str, str], extractors: dict[str | None, Extractor]
) -> tuple[dict[str, Any] | None, str]:
    site = None if args.generic else sites.get(args.site) if args.site else site_for(response.url)
    key = site.name if site else None
    if key not in extractors:
        extractors[key] = Extractor(site, overrides)
    return extractors[key].record(response)


if __name__ == "__main__":
    sys.exit(main())
