"""Crawl-level components: the persistent crawl state and the per-run report with its verdict."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro

from newsspider import config
from newsspider.archive.middleware import ArchiveMiddleware
from newsspider.archive.warc import ArchiveError
from newsspider.cluster.run import ClusterRun, worker_lost
from newsspider.config import COVERAGE_FIELDS
from newsspider.errors import BadInput, StateBusy, StateError
from newsspider.output import (
    DurableFeedExporter,
    OutputError,
    feed_file_added,
    probe_folder,
    record_written,
    repair_torn_tail,
)
from newsspider.state import ArticleState, Emission, RunHolder, StateChanges, StateStore, open_store
from newsspider.state.base import TIME_FORMAT, stamp

logger = logging.getLogger(__name__)


# Articles whose state a crawl keeps in memory at once.
CACHE_SIZE = 100_000


def utc_now() -> str:
    return stamp()


class CrawlState:
    """Owns the :class:`~newsspider.state.StateStore` during a crawl.

    At construction, before anything is fetched, it locks the state for this run, replays the
    output of runs that did not finish, and records this run; a state that cannot be opened,
    locked or written refuses the run. An article counts as emitted only once the feed exporter
    has written its line (:data:`~newsspider.output.record_written`); emissions are committed in
    batches, each after an fsync of the output files. A state write that fails stops the crawl
    and leaves the run unfinished, so the next run replays its output files into the state.
    """

    def __init__(self, crawler: Crawler, store: StateStore):
        self.crawler = crawler
        self.stats = crawler.stats
        self.store = store
        self.spider_name: str = crawler.spidercls.name
        self.batch_size: int = config.setting(crawler.settings, "NEWSSPIDER_STATE_COMMIT_EVERY")
        self.now = config.clock(crawler.settings)
        self.run_id: str = getattr(crawler.spider, "run_id", None) or utc_now()
        self.changes = StateChanges.empty()
        self.error: str | None = None
        self.closing = False
        self.feeds: DurableFeedExporter | None = None
        # Bounded: a sitemap crawl looks up millions of articles.
        self._cache: OrderedDict[str, ArticleState | None] = OrderedDict()
        self._sitemaps_read: dict[str, str] | None = None
        self._emitted_this_run: set[str] = set()
        self._discovered: dict[str, str] = {}
        self._unexpanded: dict[str, tuple[str, bool]] = {}
        started = utc_now()
        store.lock(self.spider_name, RunHolder.this_process(self.run_id, started))
        for run in store.unfinished_runs(self.spider_name):
            replayed = self._replay(run.feeds)
            store.end_run(self.spider_name, run.run_id, "replayed", utc_now())
            self.stats.inc_value("newsspider/state/replayed_records", replayed)
            logger.warning("Run %s did not finish; %d records replayed from its output", run.run_id, replayed)
        self.settled_until: str | None = store.settled_before(self.spider_name)
        store.begin_run(self.spider_name, self.run_id, [], started)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.record_written, signal=record_written)
        crawler.signals.connect(self.record_feeds, signal=feed_file_added)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.worker_lost, signal=worker_lost)

    def worker_lost(self, run_id: str, worker: str) -> None:
        """Another worker of the run died: a shared state marks its part of the run lost."""
        if hasattr(self.store, "mark_lost"):
            self.store.mark_lost(self.spider_name, run_id, worker, stamp())

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlState:
        settings = crawler.settings
        if not config.keeps_state(settings):
            raise NotConfigured  # no message: Scrapy would log a deliberate choice as a warning
        store = None
        try:
            store = open_store(
                config.setting(settings, "NEWSSPIDER_STATE_URI"),
                retry_for=config.setting(settings, "NEWSSPIDER_STATE_RETRY_FOR"),
                name=crawler.spidercls.name,
            )
            return cls(crawler, store)
        except StateError as exc:
            if store is not None:
                store.close()
            raise BadInput(str(exc)) from None
        except StateBusy:
            store.close()
            raise

    # --- what the spider and the pipeline ask -------------------------------------------------

    def _state(self, article_id: str) -> ArticleState | None:
        if article_id in self._cache:
            self._cache.move_to_end(article_id)
        else:
            self._cache[article_id] = self.store.get(self.spider_name, [article_id]).get(article_id)
            self._trim()
        return self._cache[article_id]

    def _trim(self) -> None:
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    def prefetch(self, article_ids: Iterable[str]) -> None:
        """Look many articles up at once (a sitemap's): one query instead of one per article."""
        ids = [a for a in dict.fromkeys(article_ids) if a not in self._cache][:CACHE_SIZE]
        if not ids:
            return
        found = self.store.get(self.spider_name, ids)
        for article_id in ids:
            self._cache[article_id] = found.get(article_id)
        self._trim()

    def emitted_state(self, article_id: str) -> ArticleState | None:
        """The article's last emitted version, ``None`` when it was never emitted."""
        state = self._state(article_id)
        return state if state is not None and state.version > 0 else None

    def is_settled(self, article_id: str) -> bool:
        """Held since before the last run that finished: pagination may stop at such entries.
        A killed run's records are held but not settled, so the next run pages past them."""
        state = self.emitted_state(article_id) if article_id not in self._emitted_this_run else None
        return bool(state and self.settled_until and state.first_emitted and state.first_emitted < self.settled_until)

    def is_held(self, article_id: str) -> bool:
        """Emitted by an earlier run: this run's own records do not make an article "held", or
        a first crawl would stop paginating where its related links had run ahead."""
        return article_id not in self._emitted_this_run and self.emitted_state(article_id) is not None

    def fetched_since(self, article_id: str, seconds: float, now: datetime | None = None) -> bool:
        """True when the article page was fetched less than ``seconds`` before ``now``."""
        fetched = self._last_fetched(article_id)
        return fetched is not None and ((now or self.now()) - fetched).total_seconds() < seconds

    def fetched_after(self, article_id: str, moment: datetime) -> bool:
        """True when the article page was last fetched at or after ``moment`` (a sitemap's
        ``lastmod``, a feed's update time)."""
        fetched = self._last_fetched(article_id)
        return fetched is not None and fetched >= moment

    def _last_fetched(self, article_id: str) -> datetime | None:
        state = self._state(article_id)
        if state is None or not state.last_fetched:
            return None
        return datetime.strptime(state.last_fetched, TIME_FORMAT).replace(tzinfo=UTC)

    def sitemap_read(self, url: str, lastmod: str) -> bool:
        """A finished run read this sitemap in full when its index gave it ``lastmod`` or later."""
        if self._sitemaps_read is None:
            self._sitemaps_read = self.store.sitemaps_read(self.spider_name)
        return self._sitemaps_read.get(url, "") >= lastmod

    def note_sitemaps_read(self, read: dict[str, str]) -> None:
        try:
            self.store.note_sitemaps_read(self.spider_name, read)
        except StateError as exc:
            self._fail(str(exc))

    def frontier(self) -> dict[str, str]:
        return self.store.frontier(self.spider_name)

    def note_fetched(self, article_id: str, url: str) -> None:
        self.changes.fetched[article_id] = (url, stamp(self.now()))

    def note_discovered(self, article_id: str, url: str) -> None:
        """A related link the crawl follows; it stays in the frontier until its article is emitted."""
        self._discovered.setdefault(article_id, url)

    def note_related_followed(self, article_id: str, url: str, followed: bool) -> None:
        """Whether an article's related list was followed; one that was not (too many hops from a
        listing) is fetched again by a run that finds the article on a listing, to follow it then."""
        self._unexpanded[article_id] = (url, not followed)

    def is_unexpanded(self, article_id: str) -> bool:
        """Held, with its related list never followed."""
        state = self.emitted_state(article_id)
        return bool(state and state.unexpanded)

    def commit_discovered(self) -> None:
        """Commit the links (and related-list flags) noted so far. The spider calls this before it
        hands over the record whose related list they came from: once that record is in the output
        (and so held by the next run, which will not fetch it again), its links must already be in
        the frontier, and a related list left unfollowed must be known as such."""
        if self.error is not None or not (self._discovered or self._unexpanded):
            return
        discovered, self._discovered = self._discovered, {}
        unexpanded, self._unexpanded = self._unexpanded, {}
        changes = StateChanges(emitted={}, fetched={}, discovered=discovered, unexpanded=unexpanded)
        try:
            self.store.apply(self.spider_name, changes, utc_now())
        except StateError as exc:
            self._fail(str(exc))

    # --- signals ------------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self.feeds = self.crawler.get_extension(DurableFeedExporter)
        if self.feeds is None:
            return
        if not self.feeds.replayable:
            # Lines on stdout cannot be read back after a kill: commit each one as it is written.
            self.batch_size = 1
        self.record_feeds()

    def record_feeds(self, path: Path | None = None) -> None:
        """The files this run writes, for a replay if it does not finish (a new batch file included)."""
        if self.feeds is None or self.error is not None:
            return
        try:
            self.store.set_run_feeds(self.spider_name, self.run_id, [str(p) for p in self.feeds.local_files()])
        except StateError as exc:
            self._fail(str(exc))

    def claim(self, item: Any) -> bool:
        """With a store that keeps records (PostgreSQL), commit the record with its version before
        it is written: False when another worker emitted that version first, or the state failed."""
        if not self.store.keeps_records:
            return True
        if self.error is not None:
            return False
        if not self._archive_synced():
            return False
        adapter = ItemAdapter(item)
        emission = _emission(adapter)
        try:
            claimed = self.store.commit_record(self.spider_name, emission, adapter.asdict(), self.run_id, utc_now())
        except StateError as exc:
            self._fail(str(exc))
            return False
        self._cache.pop(emission.article_id, None)
        if claimed:
            self._emitted_this_run.add(emission.article_id)
        return claimed

    def record_written(self, item: Any) -> None:
        adapter = ItemAdapter(item)
        metadata = adapter.get("metadata") or {}
        if metadata.get("version") is None or self.error is not None or self.store.keeps_records:
            return  # a store that keeps records committed it before it was written (claim)
        self._emitted_this_run.add(adapter["articleId"])
        self.changes.emitted[adapter["articleId"]] = _emission(adapter)
        if len(self.changes.emitted) >= self.batch_size:
            self.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.closing = True
        self.commit_discovered()
        self.flush()
        output_failed = self.feeds is not None and self.feeds.error is not None
        try:
            # A run whose output or state failed stays unfinished: the next run replays its files.
            if self.error is None and not output_failed:
                self.store.end_run(self.spider_name, self.run_id, reason, utc_now())
        except StateError as exc:
            self._fail(str(exc))
        finally:
            self.store.close()

    def flush(self) -> None:
        """Commit the batch, after making the lines it marks as emitted durable."""
        if self.error is not None or not self.changes:
            return
        if not self._archive_synced():
            return
        if self.feeds is not None:
            try:
                self.feeds.sync()
            except OutputError as exc:
                self.feeds.fail(str(exc))
                return
        changes, self.changes = self.changes, StateChanges.empty()
        try:
            self.store.apply(self.spider_name, changes, utc_now())
        except StateError as exc:
            self._fail(str(exc))
            return
        for article_id in set(changes.emitted) | set(changes.fetched):
            self._cache.pop(article_id, None)
        self.stats.inc_value("newsspider/state/batches")

    def _archive_synced(self) -> bool:
        """The pages of the records about to be committed are durable in the archive (when there
        is one): a record is emitted only from a page the archive holds."""
        try:
            archive = self.crawler.get_downloader_middleware(ArchiveMiddleware)
        except RuntimeError:  # no engine yet (a state flushed outside a crawl): nothing archived either
            archive = None
        if archive is None:
            return True
        try:
            archive.sync()
        except ArchiveError:
            return False
        return archive.error is None

    def _fail(self, message: str) -> None:
        """Stop the run: records emitted from now on could not be remembered."""
        if self.error is not None:
            return
        self.error = message
        self.stats.set_value("newsspider/state/error", message)
        logger.error("Crawl state failed, stopping the crawl: %s", message)
        if self.feeds is not None:
            # A record written now could not have its related links remembered: write no more,
            # so that the next run fetches those articles again instead.
            self.feeds.stop_writing()
        if not self.closing:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="state_error"))

    def _replay(self, feeds: tuple[str, ...]) -> int:
        """Mark every complete, parseable line of an unfinished run's output as emitted, and move
        its torn last line aside so that the file stays valid JSON Lines. (The related links of
        these records are in the frontier already: see :meth:`commit_discovered`.)"""
        changes = StateChanges.empty()
        for feed in feeds:
            path = Path(feed)
            if not path.exists():
                logger.warning("Output %s of an unfinished run is gone: its records will be emitted again", path)
                continue
            repair_torn_tail(path)
            with path.open("rb") as lines:
                for raw in lines:
                    emission = _emission_from_line(raw)
                    if emission is not None:
                        changes.emitted[emission.article_id] = emission
        self.store.apply(self.spider_name, changes, utc_now())
        return len(changes.emitted)


def _emission(adapter: ItemAdapter) -> Emission:
    metadata = adapter["metadata"]
    return Emission(
        article_id=adapter["articleId"],
        canonical_url=adapter.get("canonicalUrl") or adapter.get("url"),
        content_hash=metadata["contentHash"],
        version=metadata["version"],
    )


def _emission_from_line(raw: bytes) -> Emission | None:
    if not raw.endswith(b"\n"):  # the torn last line of a killed run
        return None
    try:
        record = json.loads(raw)
        metadata = record["metadata"]
        return Emission(
            article_id=str(record["articleId"]),
            canonical_url=record.get("canonicalUrl") or record["url"],
            content_hash=metadata["contentHash"],
            version=int(metadata["version"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


# Alarms about the site's markup drifting; the others say the run did not do its job.
DRIFT_CHECKS = frozenset({"dropped_share", "zero_records", *(f"coverage.{field}" for field in COVERAGE_FIELDS)})


class RunReport:
    """Writes ``<run id>.report.json`` beside the run's output and decides the run's verdict.

    The verdict is ``failed`` when the run did not do its job (its output or its state could not
    be written, all its start URLs failed, no page was fetched successfully, most pages were bot
    challenges) or a drift alarm goes off (field coverage below its threshold, too large a share
    of article pages dropped, no record at all from many article pages).
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.max_blocked_share: float = config.setting(settings, "NEWSSPIDER_ALARM_MAX_BLOCKED_SHARE")
        self.report_uri: str = config.setting(settings, "NEWSSPIDER_REPORT_URI")
        # The verdict (and so the exit status) is decided either way; this only says whether to write it down.
        self.write_report: bool = config.setting(settings, "NEWSSPIDER_REPORT_ENABLED")
        # A Redis queue's length is a network call: its high-water mark is not tracked.
        self.shared_queue = bool(config.setting(settings, "NEWSSPIDER_QUEUE_URI"))
        if self.write_report and crawler.spider is not None:
            self._check_report_uri(crawler.spider)
        self.started = utc_now()
        self.feeds: list[Path] = []
        self.verdict: str | None = None
        self.report: dict[str, Any] | None = None
        self.path: Path | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.request_reached_downloader, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        self.lost: list[dict[str, str]] = []  # article pages that gave no record, and why

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        if not config.setting(crawler.settings, "NEWSSPIDER_RECORD_RUN"):
            raise NotConfigured  # a command that only shows pages: no verdict, no alarms in its output
        return cls(crawler)

    def _check_report_uri(self, spider: Spider) -> None:
        """A report that could not be written at the end would leave the run without its account."""
        path = self._report_uri_path(spider)
        try:
            probe_folder(path.parent)
        except OSError as exc:
            raise BadInput(
                f"setting NEWSSPIDER_REPORT_URI={self.report_uri!r}: {path.parent} cannot be written ({exc.strerror})"
            ) from None

    def _report_uri_path(self, spider: Spider) -> Path:
        params = {"name": spider.name, "run_id": getattr(spider, "run_id", "run")}
        return Path(config.fill("NEWSSPIDER_REPORT_URI", self.report_uri, params))

    def spider_opened(self, spider: Spider) -> None:
        self.started = utc_now()
        feeds = self.crawler.get_extension(DurableFeedExporter)
        self.feeds = feeds.local_files() if feeds is not None else []

    def request_reached_downloader(self, request: Any, spider: Spider) -> None:
        """Pages really requested (after robots.txt and the offsite filter), by kind."""
        self.stats.inc_value(f"newsspider/sent/{request.meta.get('page_kind', 'other')}")

    def request_scheduled(self, request: Any, spider: Spider) -> None:
        """The queue's high-water mark (this request counted); and the offsite filter drops a
        redirect to another host with no errback: note it here."""
        scheduler = self.crawler.engine.scheduler if self.crawler.engine is not None else None
        if scheduler is not None and not self.shared_queue:
            self.stats.max_value("newsspider/queue/max", len(scheduler) + 1)
        if request.meta.get("page_kind") not in ("article", "related"):
            return
        host = urlsplit(request.url).hostname or ""
        allowed = getattr(spider, "allowed_domains", None) or []
        if allowed and not any(host == d or host.endswith("." + d) for d in allowed):
            reason = "offsite_redirect" if request.meta.get("redirect_urls") else "offsite"
            self.lost.append({"url": request.meta.get("redirect_urls", [request.url])[0], "reason": reason})

    def request_dropped(self, request: Any, spider: Spider) -> None:
        """A redirect back to a page already requested (a loop) is dropped by the duplicate filter."""
        if request.meta.get("page_kind") in ("article", "related") and request.meta.get("redirect_urls"):
            self.lost.append({"url": request.meta["redirect_urls"][0], "reason": "redirect_loop"})

    def item_dropped(self, item: Any, response: Any, exception: Exception, spider: Spider) -> None:
        reason = str(exception).split(":", 1)[0]
        if reason not in ("unchanged", "duplicate_article_id", "version_taken"):
            self.lost.append({"url": ItemAdapter(item).get("url"), "reason": reason})

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.stats.get_stats()
        lost = [*getattr(spider, "failed_articles", []), *self.lost]
        part = {
            "finishReason": reason,
            "stats": {k: v for k, v in stats.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)},
            "articles": lost,
            "listings": list(getattr(spider, "failed_listings", [])),
            "failedStarts": dict(getattr(spider, "failed_starts", {})),
        }
        cluster = self.crawler.get_extension(ClusterRun)
        parts = cluster.gather(part) if cluster is not None else {"": part}
        whole = _merge(parts)
        self.report = build_report(
            whole["stats"],
            spider=spider.name,
            run_id=getattr(spider, "run_id", None),
            job=getattr(spider, "_job", None),
            started=self.started,
            ended=utc_now(),
            reason=reason,
            feeds=[str(p) for p in self.feeds],
        )
        lost = sorted(whole["articles"], key=lambda f: (f["reason"], f["url"]))
        listings = sorted(whole["listings"], key=lambda f: (f["reason"], f["url"]))
        self.report["failures"] = {
            "articles": lost[:1000],
            "listings": listings[:1000],
            "byReason": {
                r: sum(1 for f in [*lost, *listings] if f["reason"] == r)
                for r in sorted({f["reason"] for f in [*lost, *listings]})
            },
        }
        starts = getattr(spider, "seeds", None) or getattr(spider, "start_urls", None) or []
        alarms = self.run_alarms(self.report, whole["stats"], starts, whole["failedStarts"])
        alarms += drift_alarms(self.report, self.crawler.settings)
        if cluster is not None:
            self.report["worker"] = cluster.worker
            self.report["workers"] = {
                worker: {"lost": True}
                if p.get("lost")
                else {"finishReason": p["finishReason"], **_part_summary(p["stats"])}
                for worker, p in sorted(parts.items())
            }
        self.verdict = "failed" if alarms else "ok"
        self.report["alarms"] = alarms
        self.report["verdict"] = self.verdict
        self.stats.set_value("newsspider/verdict", self.verdict)
        for alarm in alarms:
            logger.error("%s: %s", "Drift alarm" if alarm["check"] in DRIFT_CHECKS else "Run failed", alarm["message"])
        if not self.write_report:
            return
        self.path = self._report_path(spider)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.report, ensure_ascii=False, indent=2) + "\n", "utf-8")
        except OSError as exc:
            self.verdict = "failed"  # a run that cannot give its account has not done its job
            logger.error("Run failed: the run report %s could not be written (%s)", self.path, exc.strerror)
            return
        logger.info("Run report (verdict %s): %s", self.verdict, self.path)

    def run_alarms(
        self, report: dict[str, Any], stats: dict[str, Any], starts: list[str], failed_starts: dict[str, str]
    ) -> list[dict[str, Any]]:
        """Did the run do its job at all? Checked before the drift alarms."""
        found = []
        for check, key in (
            ("output", "newsspider/output/error"),
            ("state", "newsspider/state/error"),
            ("queue", "newsspider/queue/error"),
            ("archive", "newsspider/archive/error"),
        ):
            if stats.get(key):
                found.append(_alarm(check, 1, 0, f"{check} failed, the run stopped: {stats[key]}"))
        if starts and len(failed_starts) == len(starts):
            reasons = "; ".join(f"{url} ({reason})" for url, reason in sorted(failed_starts.items())[:5])
            found.append(_alarm("start_urls", len(starts), 0, f"all {len(starts)} start URLs failed: {reasons}"))
        articles_found = sum(v for k, v in stats.items() if k.startswith("newsspider/requests/article/"))
        # Held articles, and sitemaps unchanged since a finished run read them in full, are found too.
        articles_found += stats.get("newsspider/links/held_article", 0) + stats.get("newsspider/sitemaps/unchanged", 0)
        if starts and not articles_found and len(failed_starts) < len(starts):
            # The starts answered, yet nothing on them led to an article of the site: a feed of
            # another site's links, a sitemap of pages only, an index whose sitemaps all failed.
            offsite = stats.get("newsspider/links/offsite_article", 0)
            elsewhere = f" ({offsite} article links on other hosts)" if offsite else ""
            found.append(_alarm("no_articles", 0, 1, f"the start URLs led to no article page of the site{elsewhere}"))
        requested = sum(report["pagesRequested"][kind] for kind in ("listing", "article", "related", "feed", "sitemap"))
        fetched = sum(stats.get(f"newsspider/pages/{kind}_ok", 0) for kind in ("listing", "article", "feed", "sitemap"))
        if requested and not fetched:
            found.append(
                _alarm("no_pages", 0, 1, f"no listing or article page was fetched successfully ({requested} requested)")
            )
        blocked = report["pagesRequested"]["blocked"]
        if requested and blocked / requested > self.max_blocked_share:
            found.append(
                _alarm(
                    "blocked",
                    round(blocked / requested, 4),
                    self.max_blocked_share,
                    f"blocked: {blocked} of {requested} pages answered with a bot challenge instead of the page",
                )
            )
        return found

    def _report_path(self, spider: Spider) -> Path:
        if self.feeds:
            feed = self.feeds[0]
            return feed.with_name(feed.name.rsplit(".", 1)[0] + ".report.json")
        return self._report_uri_path(spider)


def drift_alarms(report: dict[str, Any], settings: BaseSettings) -> list[dict[str, Any]]:
    """The drift alarms of a run report's coverage and records (a crawl's, or a re-extraction's)."""
    found = []
    coverage = report["coverage"]
    pages = coverage["articlePages"]
    if pages >= config.setting(settings, "NEWSSPIDER_ALARM_MIN_PAGES"):
        for field, threshold in config.setting(settings, "NEWSSPIDER_ALARM_COVERAGE").items():
            value = coverage.get(field, 0.0)
            if value < threshold:
                found.append(
                    _alarm(
                        f"coverage.{field}",
                        value,
                        threshold,
                        f"{field} coverage {value:.3f} is below {threshold} over {pages} article pages",
                    )
                )
        dropped = sum(report["records"]["droppedInvalid"].values())
        share = dropped / pages
        max_share = config.setting(settings, "NEWSSPIDER_ALARM_MAX_DROPPED_SHARE")
        if share > max_share:
            found.append(
                _alarm(
                    "dropped_share",
                    round(share, 4),
                    max_share,
                    f"{dropped} of {pages} article pages dropped ({share:.1%}), above {max_share:.1%}",
                )
            )
    zero_records_pages = config.setting(settings, "NEWSSPIDER_ALARM_ZERO_RECORDS_PAGES")
    if pages >= zero_records_pages and report["records"]["valid"] == 0:
        found.append(_alarm("zero_records", 0, zero_records_pages, f"no valid record from {pages} article pages"))
    return found


def _alarm(check: str, value: float, threshold: float, message: str) -> dict[str, Any]:
    return {"check": check, "value": value, "threshold": threshold, "message": message}


def _merge(parts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The whole run from its workers' parts: counts added up, failures put together (the first
    error message of a kind kept)."""
    stats: dict[str, Any] = {}
    articles: list[dict[str, str]] = []
    listings: list[dict[str, str]] = []
    failed_starts: dict[str, str] = {}
    for part in parts.values():
        if part.get("lost"):
            continue
        for key, value in part["stats"].items():
            if isinstance(value, str):
                stats.setdefault(key, value)
            else:
                stats[key] = stats.get(key, 0) + value
        articles.extend(part["articles"])
        listings.extend(part["listings"])
        for url, reason in part["failedStarts"].items():
            failed_starts.setdefault(url, reason)
    return {"stats": stats, "articles": articles, "listings": listings, "failedStarts": failed_starts}


def _part_summary(stats: dict[str, Any]) -> dict[str, Any]:
    """A worker's share of the run, in the report's ``workers``."""
    report = build_report(stats, spider=None, run_id=None, job=None, started=None, ended=None, reason=None, feeds=[])
    return {"pagesRequested": report["pagesRequested"], "records": report["records"]}


def _with_prefix(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}


def build_report(stats: dict[str, Any], **run: Any) -> dict[str, Any]:
    """The run report, from the crawl's stats."""
    sent = _with_prefix(stats, "newsspider/sent/")
    pages = stats.get("newsspider/coverage/pages", 0)
    return {
        "spider": run["spider"],
        "runId": run["run_id"],
        "job": run["job"],
        "start": run["started"],
        "end": run["ended"],
        "finishReason": run["reason"],
        "output": run["feeds"],
        "pagesRequested": {
            "listing": sent.get("listing", 0),
            "article": sent.get("article", 0),
            "related": sent.get("related", 0),
            "feed": sent.get("feed", 0),
            "sitemap": sent.get("sitemap", 0),
            "robots": sent.get("robots", 0),  # robots.txt read for its Sitemap: lines
            "other": sent.get("other", 0),  # robots.txt read by the robots.txt middleware
            "responses": stats.get("response_received_count", 0),
            # Listing and article pages that were bot challenges (robots.txt aside).
            "blocked": sum(
                stats.get(f"newsspider/blocked/{kind}", 0)
                for kind in ("listing", "article", "related", "feed", "sitemap")
            ),
        },
        "records": {
            "emitted": stats.get("newsspider/output/records", 0),
            "new": stats.get("newsspider/incremental/new", 0),
            "changed": stats.get("newsspider/incremental/changed", 0),
            "unchanged": stats.get("newsspider/incremental/unchanged", 0),
            "valid": stats.get("newsspider/validate/valid", 0),
            "droppedInvalid": _with_prefix(stats, "newsspider/validate/dropped/"),
            "droppedDuplicate": _with_prefix(stats, "newsspider/dedupe/dropped/"),
        },
        "queue": {"maxQueued": stats.get("newsspider/queue/max", 0)},
        "archive": {
            "responses": stats.get("newsspider/archive/responses", 0),
            "failedFetches": stats.get("newsspider/archive/failures", 0),
            "files": stats.get("newsspider/archive/files", 0),
            "bytes": stats.get("newsspider/archive/bytes", 0),
        },
        "discovery": {
            "feeds": _with_prefix(stats, "newsspider/feeds/"),
            "sitemaps": _with_prefix(stats, "newsspider/sitemaps/"),
        },
        "stripped": _with_prefix(stats, "newsspider/clean/stripped/"),
        "httpErrors": {
            code: n for code, n in _with_prefix(stats, "downloader/response_status_count/").items() if code >= "400"
        },
        "downloadErrors": _with_prefix(stats, "downloader/exception_type_count/"),
        "retries": {
            "count": stats.get("retry/count", 0),
            "maxReached": stats.get("retry/max_reached", 0),
            "byReason": _with_prefix(stats, "retry/reason_count/"),
        },
        "coverage": {
            "articlePages": pages,
            **{
                f: round(stats.get(f"newsspider/coverage/{f}", 0) / pages, 4) if pages else 0.0 for f in COVERAGE_FIELDS
            },
        },
    }
