"""Scrapy's start-up lines (its banner, versions, enabled add-ons, the telnet password...) held back
until the crawl has really started, so that a run refused at its start (a bad argument or setting,
a held state) says so in one line and nothing else."""

from __future__ import annotations

import logging

# The loggers that speak while a crawl is being set up, before its engine starts.
START_LOGGERS = (
    "scrapy.utils.log",
    "scrapy.crawler",
    "scrapy.addons",
    "scrapy.middleware",
    "scrapy.extensions.telnet",
    "scrapy.core.engine",
    "scrapy.statscollectors",
)


class StartLog(logging.Filter):
    """Attached to :data:`START_LOGGERS`: their records below WARNING wait until :meth:`release`
    (the crawl started, or ended some other way) or are dropped by :meth:`drop` (the run was
    refused). A warning or error releases what waits before it, so the order stays."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] = []
        self.holding = True
        for name in START_LOGGERS:
            logging.getLogger(name).addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.holding:
            return True
        if record.levelno >= logging.WARNING:
            self.release()
            return True
        self.held.append(record)
        return False

    def _stop(self) -> list[logging.LogRecord]:
        self.holding = True
        for name in START_LOGGERS:
            logging.getLogger(name).removeFilter(self)
        held, self.held = self.held, []
        return held

    def release(self, *args: object, **kwargs: object) -> None:
        """Emit what waited, as it would have been (a signal handler: any arguments)."""
        for record in self._stop():
            logging.getLogger(record.name).handle(record)

    def drop(self) -> None:
        self._stop()
