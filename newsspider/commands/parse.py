"""``scrapy parse`` on a mirror or the sample site, recording nothing."""

from __future__ import annotations

import argparse

from scrapy.commands.parse import Command as ScrapyParseCommand

from newsspider.commands import ShowsOnly


class Command(ShowsOnly, ScrapyParseCommand):
    def set_spidercls(self, url: str, opts: argparse.Namespace) -> None:
        super().set_spidercls(url, opts)
        if "start_urls" in getattr(self.spidercls, "arguments", ()):
            # The spider crawls its start URLs' hosts: the URL parsed makes a mirror's links followable.
            opts.spargs.setdefault("start_urls", url)
        # The URL asked for is fetched wherever it is (a feed host, which the crawl itself never follows).
        opts.meta = {"allow_offsite": True, **(opts.meta or {})}
