"""``scrapy crawl`` whose exit status carries the run's verdict, for cron and Scrapyd."""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newsspider.extensions import RunReport

EXIT_FAILED_VERDICT = 3


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; exit 3 when a drift alarm fails the run (1 when it cannot start)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        report = crawler.get_extension(RunReport)
        if report is not None and report.verdict == "failed":
            self.exitcode = EXIT_FAILED_VERDICT
