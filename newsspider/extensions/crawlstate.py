"""The persistent crawl state, as a crawl extension: what the run holds, emits and replays."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from newsspider import config
from newsspider.archive.middleware import ArchiveMiddleware
from newsspider.archive.warc import ArchiveError
from newsspider.cluster.run import worker_lost
from newsspider.errors import BadInput, StateBusy, StateError
from newsspider.output import (
    DurableFeedExporter,
    OutputError,
    feed_file_added,
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
        self._superseded: dict[str, str] = {}
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

    def note_superseded(self, article_id: str, kept_as: str) -> None:
        """A link whose article is kept under another id (another edition's page): it leaves the
        frontier, and later runs know it for that article."""
        self._superseded[article_id] = kept_as

    def kept_as(self, article_id: str) -> str | None:
        """The id an earlier run found this link's article kept under, when it is held by it."""
        state = self._state(article_id)
        other = state.kept_as if state is not None else None
        return other if other is not None and self.is_held(other) else None

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
        if self.error is not None or not (self._discovered or self._unexpanded or self._superseded):
            return
        discovered, self._discovered = self._discovered, {}
        unexpanded, self._unexpanded = self._unexpanded, {}
        superseded, self._superseded = self._superseded, {}
        changes = StateChanges(
            emitted={}, fetched={}, discovered=discovered, unexpanded=unexpanded, superseded=superseded
        )
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
