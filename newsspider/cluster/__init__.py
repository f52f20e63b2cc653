"""Crawling with several workers: a shared scrapy-redis queue, leases, global politeness.

With ``NEWSSPIDER_QUEUE_URI=redis://...`` every worker started with the same command joins one
run: :mod:`.run` names the run and tells when all of it is done, :mod:`.scheduler` shares its
queue and duplicate filter and leases each request to the worker that took it, and
:mod:`.politeness` spaces the run's requests to each host. The state of record stays in the
crawl state (PostgreSQL for several workers); Redis holds only what a run can rebuild.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from newsspider import config
from newsspider.errors import BadInput

# request.meta key: (key, url, follows related links) that the shared duplicate filter uses
# instead of the URL's fingerprint while the request is still for that URL (a redirect
# elsewhere has its own).
DEDUPE_KEY = "dedupe_key"


def check(settings: BaseSettings) -> None:
    """Several workers need a state they all share, and a state outage shorter than a lease (a
    worker waiting for PostgreSQL does not beat, and would lose its requests to the others)."""
    if not config.setting(settings, "NEWSSPIDER_QUEUE_URI") or not config.setting(settings, "NEWSSPIDER_STATE_ENABLED"):
        return
    retry_for = config.setting(settings, "NEWSSPIDER_STATE_RETRY_FOR")
    lease = config.setting(settings, "NEWSSPIDER_QUEUE_LEASE")
    if retry_for >= lease:
        raise BadInput(
            f"setting NEWSSPIDER_STATE_RETRY_FOR={retry_for:g}: with a queue it must be shorter than"
            f" NEWSSPIDER_QUEUE_LEASE={lease:g}"
        )
    if urlsplit(config.setting(settings, "NEWSSPIDER_STATE_URI")).scheme not in ("postgresql", "postgres"):
        raise BadInput(
            "setting NEWSSPIDER_QUEUE_URI needs a state the workers share: set NEWSSPIDER_STATE_URI=postgresql://..."
            " (or NEWSSPIDER_STATE_ENABLED=False)"
        )


_BAD = object()
SINGLE_PROCESS_FEED = "output/%(name)s/%(run_id)s.jsonl"
WORKER_FEED = "output/%(name)s/%(run_id)s.%(worker)s.jsonl"  # worker: host-pid (NewsSpider.worker)


def _parsed(settings: BaseSettings, name: str) -> object:
    """A setting's value as the crawl will read it ("None" given with -s is None), or _BAD: the
    spider refuses that one with one line, before anything starts."""
    try:
        return config.setting(settings, name)
    except BadInput:
        return _BAD


def configure(settings: BaseSettings) -> None:
    """Switch a crawl to the shared queue when ``NEWSSPIDER_QUEUE_URI`` is set (else leave it
    alone). Values are checked later, by :func:`check` and the spider, which refuse bad ones."""
    if _parsed(settings, "NEWSSPIDER_QUEUE_URI") in (None, _BAD):
        return
    # The run's budget per host, taken from the one-worker settings unless given: the shared
    # limiter enforces it for all workers together, so the local delays are switched off.
    for name, value in (
        ("NEWSSPIDER_HOST_DELAY", settings.getfloat("DOWNLOAD_DELAY")),
        ("NEWSSPIDER_HOST_CONCURRENCY", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")),
        ("NEWSSPIDER_HOST_AUTOTHROTTLE", settings.getbool("AUTOTHROTTLE_ENABLED")),
    ):
        if _parsed(settings, name) is None:
            settings.set(name, value, priority="cmdline")
    if settings.get("NEWSSPIDER_DEFAULT_FEED") == SINGLE_PROCESS_FEED:
        # Workers on one machine would share one file and one report: one of each per worker.
        settings.set("NEWSSPIDER_DEFAULT_FEED", WORKER_FEED, priority="cmdline")
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
    settings.set("SCHEDULER", "newsspider.cluster.scheduler.LeasedScheduler", priority="cmdline")
    settings.set("DUPEFILTER_CLASS", "newsspider.cluster.scheduler.RunDupeFilter", priority="cmdline")
    # Research run E: without persistence the first worker to close deletes the shared queue.
    settings.set("SCHEDULER_PERSIST", True, priority="cmdline")
    # Research run D: a blocking pop stalls the reactor; the run ends by ClusterRun, not a timeout.
    settings.set("SCHEDULER_IDLE_BEFORE_CLOSE", 0, priority="cmdline")
    extensions = settings.getdict("EXTENSIONS")
    # First of all: it names the run, which the output files, the state and the report use.
    extensions["newsspider.cluster.run.ClusterRun"] = -100
    settings.set("EXTENSIONS", extensions, priority="cmdline")
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    middlewares["newsspider.cluster.politeness.SharedPoliteness"] = 990  # last before the download
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
