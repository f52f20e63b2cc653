"""``scrapy crawl`` whose exit status tells the truth, for cron and Scrapyd.

0: the run did its job. 2: refused before fetching anything (a bad argument, setting or file;
one line names it). 3: the run failed (its report's ``alarms`` say why). 4: another run holds
the crawl state. 5: a server the run needs (Redis, PostgreSQL) does not answer at start.
1: Scrapy itself could not start.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newsspider.commands.startlog import StartLog
from newsspider.errors import RunRefused
from newsspider.extensions import RunReport

EXIT_FAILED_VERDICT = 3

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; exit 2 on bad input, 3 if the run failed, 4 if the state is in use, 5 if a server is down"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        # Before Scrapy's crawler process exists and logs its banner.
        self.start_log = StartLog()

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            self._run(args, opts)
        finally:
            self.start_log.release()  # a run that ended before it started still shows its log

    def _run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            self.start_log.release()
            raise UsageError("give exactly one spider name")
        assert self.crawler_process
        known = self.crawler_process.spider_loader.list()
        if args[0] not in known:  # Scrapy would end in a KeyError traceback
            self.start_log.drop()
            print(f"newsspider: error: no spider {args[0]!r}; known: {', '.join(sorted(known))}", file=sys.stderr)
            self.exitcode = 2
            return
        crawler = self._create_crawler(args[0])
        crawler.signals.connect(self.start_log.release, signal=signals.engine_started)
        refused: list[RunRefused] = []

        def started(task: Any) -> None:
            # Retrieving the exception here keeps asyncio from printing it as a traceback.
            error = None if task.cancelled() else task.exception()
            if isinstance(error, RunRefused):
                refused.append(error)
            elif error is not None:
                logger.error("The crawl could not start", exc_info=error)

        self.crawler_process.crawl(crawler, **opts.spargs).add_done_callback(started)
        self.crawler_process.start()
        if refused:
            self.start_log.drop()
            print(f"newsspider: error: {refused[0]}", file=sys.stderr)
            if crawler.settings.get("LOG_FILE"):
                logger.error("Run refused: %s", refused[0])
            self.exitcode = refused[0].exit_status
            return
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        report = crawler.get_extension(RunReport)
        if report is not None and report.verdict == "failed":
            self.exitcode = EXIT_FAILED_VERDICT
