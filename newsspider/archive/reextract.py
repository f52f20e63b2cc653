"""``python -m newsspider reextract WARC... -o out.jsonl``: records rebuilt from the archive.

The same loader and pipelines as a crawl (response repair, extraction, cleaning, validation),
over archived responses, with no network, on all cores. Each article is taken from its latest
archived fetch (``WARC-Date``), so an archive of many runs gives each article once, as it was last
seen. ``metadata.dateDownloaded`` is that fetch's date; ``metadata.version`` and ``previousHash``
are null: versions belong to a crawl's state, not to a page.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from newsspider import config
from newsspider.archive.reader import Located, index, response_at
from newsspider.errors import BadInput
from newsspider.sites import bannedbook as site

CHUNK = 64  # responses per task: big enough to amortise the hand-over, small enough to share out


class _Crawler:
    """What the pipelines and the repair middleware read of a crawler: settings and stats."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.stats = MemoryStatsCollector(self)  # type: ignore[arg-type]

    def get_extension(self, cls: type) -> None:
        return None  # no crawl state: re-extraction keeps none


_worker: dict[str, Any] = {}


def _start_worker(overrides: dict[str, str], spider: str) -> None:
    from newsspider.middlewares import ResponseRepairMiddleware
    from newsspider.pipelines import CleaningPipeline, ValidationPipeline

    crawler = _Crawler(config.project_settings(overrides))
    _worker.update(
        crawler=crawler,
        spider=spider,
        repair=ResponseRepairMiddleware(crawler),  # type: ignore[arg-type]
        pipelines=[CleaningPipeline(crawler), ValidationPipeline(crawler)],  # type: ignore[arg-type]
    )


def _extract(chunk: list[Located]) -> tuple[list[Any], dict[str, int]]:
    """Records of a chunk of archived article pages, and what happened to each page."""
    from newsspider.loaders import load_article
    from newsspider.spiders.bannedbook import is_html

    counts: Counter[str] = Counter()
    records = []
    for located in chunk:
        response = response_at(located)
        response = _worker["repair"].process_response(response.request, response)
        if not is_html(response):
            counts["skipped/not_html"] += 1
            continue
        item = load_article(response, _worker["spider"])
        if item is None:
            counts["skipped/not_article_url"] += 1
            continue
        try:
            for pipeline in _worker["pipelines"]:
                item = pipeline.process_item(item)
        except DropItem as exc:
            counts[f"dropped/{str(exc).split(':', 1)[0]}"] += 1
            continue
        counts["records"] += 1
        records.append(item)
    return records, dict(counts)


def warc_files(paths: Iterable[str]) -> list[Path]:
    """The WARC files named, folders standing for the ``*.warc.gz`` files in them."""
    found = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(path.glob("*.warc.gz"))
        elif path.is_file():
            found.append(path)
        else:
            raise BadInput(f"reextract: {name}: no such file or folder")
    if not found:
        raise BadInput("reextract: no WARC file among " + ", ".join(paths))
    return found


def latest_pages(files: list[Path]) -> tuple[list[Located], Counter[str]]:
    """Each article's latest archived page (status 200), in archive order."""
    counts: Counter[str] = Counter()
    latest: dict[str, tuple[tuple[Any, int], Located]] = {}
    order = 0
    for path in files:
        for located in _readable(path, counts):
            counts["responses"] += 1
            parsed = site.parse_article_url(located.url)
            if parsed is None or located.status != 200:
                continue
            counts["article_pages"] += 1
            order += 1
            key = (located.date, order)
            if parsed.article_id not in latest or latest[parsed.article_id][0] < key:
                latest[parsed.article_id] = (key, located)
    chosen = sorted(latest.values(), key=lambda pair: pair[0][1])
    counts["older_fetches_skipped"] = counts["article_pages"] - len(chosen)
    return [located for _, located in chosen], counts


def _readable(path: Path, counts: Counter[str]) -> Iterable[Located]:
    """The file's response records up to any damage (a torn ``.open`` file's last member); a file
    that is no WARC at all is bad input."""
    read = 0
    try:
        for located in index(path):
            read += 1
            yield located
    except Exception as exc:  # warcio raises several unrelated types on damaged input
        if read == 0:
            raise BadInput(f"reextract: {path}: not a readable WARC file ({type(exc).__name__})") from None
        counts["damaged_tail_files"] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsspider reextract", description="Rebuild records from archived pages, with no network."
    )
    parser.add_argument("warc", nargs="+", help="WARC files, or folders of them")
    parser.add_argument("-o", "--output", required=True, type=Path, help="the JSON Lines file to write (replaced)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="a setting, as -s")
    parser.add_argument("--jobs", type=_jobs, default=0, help="processes (default, or 0: one per core)")
    parser.add_argument("--spider", default="bannedbook", choices=("bannedbook",), help="whose loader reads the pages")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        overrides = dict(_pair(item) for item in args.set)
        config.project_settings(overrides)  # a bad setting is refused before anything is read
        files = warc_files(args.warc)
        if args.output.is_dir():
            raise BadInput(f"reextract: -o {args.output}: a folder; give a file name")
        pages, counts = latest_pages(files)
    except BadInput as exc:
        print(f"newsspider reextract: error: {exc}", file=sys.stderr)
        return 2
    from tqdm import tqdm

    from newsspider.output import JsonLinesExporter

    jobs = args.jobs or len(_usable_cores())
    chunks = [pages[i : i + CHUNK] for i in range(0, len(pages), CHUNK)]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with (
        args.output.open("wb") as file,
        ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(overrides, args.spider)) as pool,
        tqdm(total=len(pages), unit="page", desc="reextract", file=sys.stderr, disable=None) as bar,
    ):
        exporter = JsonLinesExporter(file, encoding="utf-8")
        exporter.start_exporting()
        for records, chunk_counts in pool.map(_extract, chunks):  # in order: the output is deterministic
            for record in records:
                exporter.export_item(record)
            counts.update(chunk_counts)
            bar.update(sum(v for k, v in chunk_counts.items() if k == "records" or "/" in k))
        exporter.finish_exporting()
    seconds = time.monotonic() - started
    dropped = {k: v for k, v in sorted(counts.items()) if "/" in k}
    print(
        f"reextract: {len(files)} WARC file(s), {counts['responses']} responses, {counts['article_pages']} article "
        f"pages ({counts['older_fetches_skipped']} older fetches of the same articles skipped); "
        f"{counts['records']} records -> {args.output}; dropped or skipped: {dropped or 'none'}; "
        f"{seconds:.1f} s, {len(pages) / seconds if seconds else 0:.0f} pages/s on {jobs} process(es)",
        file=sys.stderr,
    )
    return 0


def _jobs(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return number


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise BadInput(f"reextract: -s {text!r}: expected NAME=VALUE")
    return name.strip(), value


def _usable_cores() -> set[int]:
    import os

    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))
