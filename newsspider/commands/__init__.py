"""Project commands (COMMANDS_MODULE)."""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES


class ShowsOnly:
    """For the commands that only show pages (parse, shell, fetch, view, check): their crawl keeps
    no output, archive, report or state (``NEWSSPIDER_RECORD_RUN=False``)."""

    settings: Any

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)  # type: ignore[misc]
        # Above the spider's settings and below the command line, as Scrapy's check sets FEEDS: -s can set it back.
        priority = (SETTINGS_PRIORITIES["spider"] + SETTINGS_PRIORITIES["cmdline"]) // 2
        self.settings.set("NEWSSPIDER_RECORD_RUN", False, priority=priority)
