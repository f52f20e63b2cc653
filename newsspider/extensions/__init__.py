"""Crawl-level components: the persistent crawl state (:mod:`.crawlstate`) and the per-run report
with its verdict (:mod:`.report`, its figures and alarms in :mod:`.summary`)."""

from newsspider.extensions.crawlstate import CrawlState, utc_now
from newsspider.extensions.report import RunReport
from newsspider.extensions.summary import build_report, drift_alarms

__all__ = ["CrawlState", "RunReport", "build_report", "drift_alarms", "utc_now"]
