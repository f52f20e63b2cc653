"""``python -m newsspider reextract WARC... -o out.jsonl``: records rebuilt from the archive.

The same loader and pipelines as a crawl (response repair, extraction, cleaning, validation),
over archived responses, with no network, on all cores. Each article is taken from its latest
archived fetch that gives a valid record (newest ``WARC-Date`` first), so an archive of many runs
gives each article once, as it was last seen whole. A page that shows only its date takes its time
from the newest archived feed item listing it, as a crawl from that feed does.
``metadata.dateDownloaded`` is the fetch's date; ``metadata.version`` and ``previousHash`` are
null: versions belong to a crawl's state, not to a page. The crawl's drift alarms apply, and
damage that may have cost a record fails the run too (exit 3); a refusal is one line (exit 2).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from newsspider import config, sites
from newsspider.archive.editions import Editions
from newsspider.archive.inputs import check_output, warc_files
from newsspider.archive.reader import Damaged, DamagedRecord, Located, index, response_at
from newsspider.cli import Parser, at_least
from newsspider.errors import BadInput
from newsspider.meter import Meter, Phase
from newsspider.sites import Site

CHUNK = 64  # articles per task: big enough to amortise the hand-over, small enough to share out
FAILED = 3  # the exit status of a run that did not do its job, as a crawl's
NEWEST = datetime.max.replace(tzinfo=UTC)  # a damaged fetch whose date is unreadable may be the newest
# One article's fetches, newest first, and the feed time that fills in its date.
Task = tuple[list[Located | Damaged], str | None]


class _Crawler:
    """What the pipelines and the repair middleware read of a crawler: settings and stats."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.stats = MemoryStatsCollector(self)  # type: ignore[arg-type]

    def get_extension(self, cls: type) -> None:
        return None  # no crawl state: re-extraction keeps none


_worker: dict[str, Any] = {}


def site_settings(overrides: dict[str, str], site: Site) -> Settings:
    """The settings a crawl of ``site`` runs with: the project's, the site's, then ``-s``."""
    settings = config.project_settings(overrides)
    settings.setdict(site.settings(), priority="spider")
    return settings


def _start_worker(overrides: dict[str, str], spider: str) -> None:
    from newsspider.middlewares import ResponseRepairMiddleware
    from newsspider.pipelines import CleaningPipeline, ValidationPipeline

    site = sites.get(spider)
    settings = site_settings(overrides, site)
    if chosen := config.setting(settings, "NEWSSPIDER_SITE_SELECTORS"):
        site = site.with_selectors(chosen)  # the repair a drift alarm proposed, tried on the archive
    crawler = _Crawler(settings)
    _worker.update(
        crawler=crawler,
        site=site,
        repair=ResponseRepairMiddleware(crawler),  # type: ignore[arg-type]
        pipelines=[CleaningPipeline(crawler), ValidationPipeline(crawler)],  # type: ignore[arg-type]
    )


def _extract(chunk: list[Task]) -> tuple[list[tuple[Any, str | None]], dict[str, int], dict[str, int]]:
    """Records of a chunk of articles (each with the id of the simplified edition's article its
    page names, when it is a page of the other edition with its own id), what happened to each, and
    the pipelines' stats of one page per article (the one that gave its record, else its newest),
    as a crawl counts them."""
    counts: Counter[str] = Counter()
    stats: Counter[str] = Counter()
    collector = _worker["crawler"].stats
    records = []
    for fetches, listed_time in chunk:
        failures: list[str] = []
        newest: dict[str, int] = {}
        for fetch in fetches:
            counts["fetches_read"] += not isinstance(fetch, Damaged)
            collector.clear_stats()
            item, failure, home = _record_of(fetch, listed_time, counts)
            page = {k: v for k, v in collector.get_stats().items() if isinstance(v, int)}
            if item is not None:
                stats.update(page)
                records.append((item, home))
                counts["records"] += 1
                if failures:
                    counts[f"older_fetch/{failures[0]}"] += 1
                    counts["damage_cost/older_fetch"] += "damaged" in failures
                break
            newest = page if not failures else newest
            failures.append(failure)
        else:
            stats.update(newest)
            counts[failures[0]] += 1
            counts["damage_cost/no_record"] += "damaged" in failures
    return records, dict(counts), dict(stats)


def _record_of(fetch: Located | Damaged, listed_time: str | None, counts: Counter[str]) -> tuple[Any, str, str | None]:
    """The record one archived fetch gives, else why not; and the id of the simplified edition's
    page it names when it is a page of the other edition with its own id."""
    from newsspider.loaders import load_article
    from newsspider.spiders.base import is_html

    if isinstance(fetch, Damaged):
        return None, "damaged", None
    try:
        response = response_at(fetch, {"listed_time": listed_time} if listed_time else None)
    except DamagedRecord as exc:  # damaged since it was indexed
        counts[f"damaged/{exc.damaged.kind}"] += 1
        return None, "damaged", None
    response = _worker["repair"].process_response(response.request, response)
    if not is_html(response):
        return None, "skipped/not_html", None
    site = _worker["site"]
    item = load_article(response, site)
    if item is None:
        return None, "skipped/not_article_url", None
    try:
        for pipeline in _worker["pipelines"]:
            item = pipeline.process_item(item)
    except DropItem as exc:
        return None, f"dropped/{str(exc).split(':', 1)[0]}", None
    home = site.home_edition(response, response.url)
    parsed = site.parse_article_url(home) if home else None
    return item, "", parsed.article_id if parsed else None


def plan(files: list[Path], site: Site, meter: Meter) -> tuple[list[Task], Counter[str], list[Damaged]]:
    """Per article, its fetches (status 200) newest first, in the archive order of each article's
    newest fetch; what was read; and the damaged members that may have held any record."""
    with meter.phase("indexing", sum(p.stat().st_size for p in files), "B") as phase:
        return _plan(files, site, phase)


def _plan(files: list[Path], site: Site, phase: Phase) -> tuple[list[Task], Counter[str], list[Damaged]]:
    from newsspider.discovery import FEED_ROOTS, read_feed, root_name

    counts: Counter[str] = Counter()
    fetches: dict[str, list[tuple[datetime, int, Located | Damaged]]] = {}
    feed_times: dict[str, tuple[datetime, int, datetime]] = {}
    unknown: list[Damaged] = []
    order = 0
    for number, path in enumerate(files, 1):
        read = 0  # bytes of this file indexed so far
        for found in index(path):
            order += 1
            phase.update(found.offset - read, f"{counts['responses']:,} responses, file {number} of {len(files)}")
            read = found.offset
            if isinstance(found, Damaged):
                counts[f"damaged/{found.kind}"] += 1
                parsed = site.parse_article_url(found.url) if found.url else None
                if parsed is not None and found.record_type == "response":
                    fetches.setdefault(parsed.article_id, []).append((found.date or NEWEST, order, found))
                elif found.record_type is None or (found.record_type == "response" and found.url is None):
                    unknown.append(found)  # too damaged to tell what it held
                continue
            counts["responses"] += 1
            parsed = site.parse_article_url(found.url)
            if found.status != 200:
                continue
            if parsed is not None:
                counts["article_pages"] += 1
                fetches.setdefault(parsed.article_id, []).append((found.date, order, found))
                continue
            try:
                body = response_at(found).body
            except DamagedRecord as exc:
                counts[f"damaged/{exc.damaged.kind}"] += 1
                continue
            feed = read_feed(body, found.url) if root_name(body) in FEED_ROOTS else None
            for entry in feed.entries if feed else ():
                article = site.parse_article_url(entry.url)
                known = feed_times.get(article.article_id) if article else None
                if article and entry.published and (known is None or known[:2] < (found.date, order)):
                    feed_times[article.article_id] = (found.date, order, entry.published)
        phase.update(path.stat().st_size - read, f"{counts['responses']:,} responses, file {number} of {len(files)}")
    for seen in fetches.values():
        seen.sort(key=lambda fetch: fetch[:2], reverse=True)
    tasks = []
    for article_id, seen in sorted(fetches.items(), key=lambda pair: pair[1][0][1]):
        listed = feed_times.get(article_id)
        listed_time = listed[2].astimezone(site.local_zone).isoformat() if listed else None  # as the spider's meta
        tasks.append(([fetch for _, _, fetch in seen], listed_time))
    return tasks, counts, unknown


def main(argv: list[str] | None = None) -> int:
    parser = Parser("reextract", "Rebuild records from archived pages, with no network.")
    parser.add_argument("warc", nargs="+", help="WARC files, or folders of them")
    parser.add_argument("-o", "--output", required=True, type=Path, help="the JSON Lines file to write (replaced)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="a setting, as -s")
    parser.add_argument("--jobs", type=at_least(0), default=0, help="processes (default, or 0: one per core)")
    parser.add_argument("--spider", default="bannedbook", choices=sites.names(), help="whose loader reads the pages")
    started = time.monotonic()
    try:
        args = parser.parse_args(argv)
        overrides = config.command_line_settings(args.set)
        site = sites.get(args.spider)
        settings = site_settings(overrides, site)  # a bad setting is refused before anything is read
        files, folders = warc_files(args.warc)
        check_output(args.output, files, folders)
        temporary = _temporary(args.output)
    except BadInput as exc:
        print(f"newsspider reextract: error: {exc}", file=sys.stderr)
        return 2
    try:
        meter = Meter("reextract", config.setting(settings, "NEWSSPIDER_PROGRESS_INTERVAL"))
        tasks, counts, unknown = plan(files, site, meter)
        jobs = args.jobs or len(_usable_cores())
        stats = _run(tasks, counts, temporary, jobs, overrides, args.spider, meter)
        os.replace(temporary, args.output)  # complete: only now does it replace what -o held
    except OSError as exc:
        print(f"newsspider reextract: error: -o {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return FAILED
    finally:
        temporary.unlink(missing_ok=True)
    alarms = _alarms(counts, stats, unknown, settings)
    seconds = time.monotonic() - started
    print(_summary(counts, len(files), args.output, seconds, jobs), file=sys.stderr)
    for alarm in alarms:
        print(alarm, file=sys.stderr)
    try:
        _write_report(args.output, files, counts, alarms)
    except OSError as exc:
        print(f"newsspider reextract: error: the report beside {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return FAILED
    return FAILED if alarms else 0


def _write_report(output: Path, files: list[Path], counts: Counter[str], alarms: list[str]) -> None:
    """``<output>.report.json``, as a crawl leaves one: it says the file is complete (export reads
    only finished files), what was read and whether the run did its job."""
    report = {
        "tool": "reextract",
        "verdict": "failed" if alarms else "ok",
        "ended": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "archive": [str(p) for p in files],
        "counts": dict(sorted(counts.items())),
        "alarms": alarms,
    }
    path = output.with_name(output.name.rsplit(".", 1)[0] + ".report.json")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.replace(temporary, path)


def _temporary(output: Path) -> Path:
    """The file the records go to until they are all written, beside ``output`` (the same
    filesystem, for the rename; created as any new file, so with the usual permissions)."""
    path = output.with_name(f".{output.name}.{os.getpid()}-{time.time_ns()}.tmp")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        path.open("xb").close()
    except OSError as exc:
        raise BadInput(f"-o {output}: cannot be written ({exc.strerror})") from None
    return path


def _run(
    tasks: list[Task],
    counts: Counter[str],
    temporary: Path,
    jobs: int,
    overrides: dict[str, str],
    spider: str,
    meter: Meter,
) -> dict[str, int]:
    """Extract every article on ``jobs`` processes into ``temporary``; the pipelines' stats."""
    from newsspider.output import JsonLinesExporter

    chunks = (tasks[i : i + CHUNK] for i in range(0, len(tasks), CHUNK))
    stats: Counter[str] = Counter()
    with (
        temporary.open("wb") as file,
        ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(overrides, spider)) as pool,
        meter.phase("extracting", len(tasks), "articles") as phase,
    ):
        exporter = JsonLinesExporter(file, encoding="utf-8")
        exporter.start_exporting()
        editions = Editions(sites.get(spider))
        for chunk, (records, chunk_counts, chunk_stats) in in_order(pool, _extract, chunks, 2 * jobs):
            for record, home in records:
                if editions.take(record, home):
                    exporter.export_item(record)
            counts.update(chunk_counts)
            stats.update(chunk_stats)
            phase.update(len(chunk), f"{counts['records']:,} records")
        for record in editions.kept(counts):
            exporter.export_item(record)
        exporter.finish_exporting()
        file.flush()
        os.fsync(file.fileno())
    return dict(stats)


def in_order(
    pool: Executor, work: Callable[[Any], Any], items: Iterable[Any], window: int
) -> Iterator[tuple[Any, Any]]:
    """``(item, work(item))`` in the items' order (the output is deterministic), with at most
    ``window`` items handed over and not yet taken: ``pool.map`` hands all over at once, and the
    results of fast workers would pile up in memory behind a slower writer."""
    items = iter(items)
    pending: deque[tuple[Any, Future]] = deque((item, pool.submit(work, item)) for item in islice(items, window))
    while pending:
        item, future = pending.popleft()
        result = future.result()
        for following in islice(items, 1):
            pending.append((following, pool.submit(work, following)))
        yield item, result


def _alarms(counts: Counter[str], stats: dict[str, int], unknown: list[Damaged], settings: Settings) -> list[str]:
    """The crawl's drift alarms over the pages read, an archive without article pages, and damage
    that may have cost a record: one line each, as a crawl logs them."""
    from newsspider.extensions import build_report, drift_alarms

    report = build_report(stats, spider=None, run_id=None, job=None, started=None, ended=None, reason=None, feeds=[])
    lines = [f"Drift alarm: {alarm['message']}" for alarm in drift_alarms(report, settings)]
    if not counts["article_pages"] and not any(k.startswith("damaged/") for k in counts):
        lines.append("Run failed: the archive holds no article page")
    no_record, older = counts["damage_cost/no_record"], counts["damage_cost/older_fetch"]
    if no_record or older or unknown:
        where = ""
        if unknown:
            where = f"; {len(unknown)} damaged member(s) unreadable, the first at {unknown[0].path}:{unknown[0].offset}"
        lines.append(
            f"Run failed: the archive is damaged: {no_record} article(s) without a record, {older} taken from an "
            f"older fetch than their newest{where}"
        )
    return lines


def _summary(counts: Counter[str], files: int, output: Path, seconds: float, jobs: int) -> str:
    def group(prefix: str) -> dict[str, int] | str:
        return {k[len(prefix) :]: v for k, v in sorted(counts.items()) if k.startswith(prefix)} or "none"

    lost = {k: v for k, v in sorted(counts.items()) if k.startswith(("dropped/", "skipped/")) or k == "damaged"}
    unread = counts["article_pages"] - counts["fetches_read"]
    return (
        f"reextract: {files} WARC file(s), {counts['responses']} responses, {counts['article_pages']} article "
        f"pages ({unread} older fetches of the same articles not needed); {counts['records']} records -> {output}; "
        f"dropped or skipped: {lost or 'none'}; from an older fetch: {group('older_fetch/')}; "
        f"damaged members: {group('damaged/')}; "
        f"{seconds:.1f} s, {counts['fetches_read'] / seconds if seconds else 0:.0f} pages/s on {jobs} process(es)"
    )


def _usable_cores() -> set[int]:
    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))
