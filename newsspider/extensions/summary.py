"""The run report's figures and the drift alarms, from a crawl's (or a re-extraction's) stats."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.settings import BaseSettings

from newsspider import config
from newsspider.config import COVERAGE_FIELDS
from newsspider.generic.repair import suggestions

logger = logging.getLogger(__name__)


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
                    make_alarm(
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
                make_alarm(
                    "dropped_share",
                    round(share, 4),
                    max_share,
                    f"{dropped} of {pages} article pages dropped ({share:.1%}), above {max_share:.1%}",
                )
            )
        generic = report["extraction"]["generic"]
        max_generic = config.setting(settings, "NEWSSPIDER_ALARM_MAX_GENERIC_SHARE")
        if generic / pages > max_generic:
            proposed = ", ".join(
                f"{field} = {s['selector']!r} (fits {s['fits']:.0%})"
                for field, s in report["extraction"]["suggestions"].items()
            )
            found.append(
                make_alarm(
                    "generic_share",
                    round(generic / pages, 4),
                    max_generic,
                    f"{generic} of {pages} article pages read generically ({generic / pages:.1%}, above "
                    f"{max_generic:.1%}): the site file's selectors no longer fit"
                    + (f"; proposed for the site file: {proposed}" if proposed else ""),
                )
            )
    zero_records_pages = config.setting(settings, "NEWSSPIDER_ALARM_ZERO_RECORDS_PAGES")
    if pages >= zero_records_pages and report["records"]["valid"] == 0:
        found.append(make_alarm("zero_records", 0, zero_records_pages, f"no valid record from {pages} article pages"))
    return found


def make_alarm(check: str, value: float, threshold: float, message: str) -> dict[str, Any]:
    return {"check": check, "value": value, "threshold": threshold, "message": message}


def merge_parts(parts: dict[str, dict[str, Any]]) -> dict[str, Any]:
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


def part_summary(stats: dict[str, Any]) -> dict[str, Any]:
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
        # Pages of the other edition read in the crawl's own instead, and those kept as its own failed.
        "editions": {
            "readInHomeEdition": stats.get("newsspider/pages/other_edition", 0),
            "otherEditionKept": stats.get("newsspider/requests/article/other_edition_kept", 0),
        },
        "stripped": _with_prefix(stats, "newsspider/clean/stripped/"),
        "extraction": {
            "generic": stats.get("newsspider/extraction/generic", 0),
            # Article pages the site's selectors read nothing from, by what was missing.
            "selectorsFailed": _with_prefix(stats, "newsspider/extraction/failed/"),
            "suggestions": suggestions(stats, stats.get("newsspider/extraction/generic", 0)),
        },
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
