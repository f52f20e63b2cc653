"""The per-run report with its verdict, as a crawl extension."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsspider import config
from newsspider.cluster.run import ClusterRun
from newsspider.config import COVERAGE_FIELDS
from newsspider.errors import BadInput
from newsspider.extensions.crawlstate import utc_now
from newsspider.extensions.summary import build_report, drift_alarms, make_alarm, merge_parts, part_summary
from newsspider.output import (
    DurableFeedExporter,
    probe_folder,
)

logger = logging.getLogger(__name__)
GENERIC_LISTED = 1000  # generic pages named in the report (all are counted)


# Alarms about the site's markup drifting; the others say the run did not do its job.
DRIFT_CHECKS = frozenset(
    {"dropped_share", "zero_records", "generic_share", *(f"coverage.{field}" for field in COVERAGE_FIELDS)}
)


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
        self.generic: list[str] = []  # article pages read generically (the first GENERIC_LISTED)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        if not config.setting(crawler.settings, "NEWSSPIDER_RECORD_RUN"):
            raise NotConfigured  # a command that only shows pages: no verdict, no alarms in its output
        return cls(crawler)

    def _check_report_uri(self, spider: Spider) -> None:
        """A report that could not be written at the end would leave the run without its account."""
        path = self._report_uri_path(spider)
        try:
            probe_folder(path.parent, keep=False)  # the report goes there only when no feed is a file
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
        whole = merge_parts(parts)
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
        self.report["extraction"]["genericPages"] = sorted(self.generic)
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
                else {"finishReason": p["finishReason"], **part_summary(p["stats"])}
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

    def item_scraped(self, item: Any) -> None:
        adapter = ItemAdapter(item)
        if adapter.get("extraction") == "generic" and len(self.generic) < GENERIC_LISTED:
            self.generic.append(adapter.get("url") or "")

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
                found.append(make_alarm(check, 1, 0, f"{check} failed, the run stopped: {stats[key]}"))
        if starts and len(failed_starts) == len(starts):
            reasons = "; ".join(f"{url} ({reason})" for url, reason in sorted(failed_starts.items())[:5])
            found.append(make_alarm("start_urls", len(starts), 0, f"all {len(starts)} start URLs failed: {reasons}"))
        articles_found = sum(v for k, v in stats.items() if k.startswith("newsspider/requests/article/"))
        # Held articles, and sitemaps unchanged since a finished run read them in full, are found too.
        articles_found += stats.get("newsspider/links/held_article", 0) + stats.get("newsspider/sitemaps/unchanged", 0)
        articles_found += stats.get("newsspider/links/other_edition_held", 0)
        if starts and not articles_found and len(failed_starts) < len(starts):
            # The starts answered, yet nothing on them led to an article of the site: a feed of
            # another site's links, a sitemap of pages only, an index whose sitemaps all failed.
            offsite = stats.get("newsspider/links/offsite_article", 0)
            elsewhere = f" ({offsite} article links on other hosts)" if offsite else ""
            found.append(
                make_alarm("no_articles", 0, 1, f"the start URLs led to no article page of the site{elsewhere}")
            )
        requested = sum(report["pagesRequested"][kind] for kind in ("listing", "article", "related", "feed", "sitemap"))
        fetched = sum(stats.get(f"newsspider/pages/{kind}_ok", 0) for kind in ("listing", "article", "feed", "sitemap"))
        if requested and not fetched:
            found.append(
                make_alarm(
                    "no_pages", 0, 1, f"no listing or article page was fetched successfully ({requested} requested)"
                )
            )
        blocked = report["pagesRequested"]["blocked"]
        if requested and blocked / requested > self.max_blocked_share:
            found.append(
                make_alarm(
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
