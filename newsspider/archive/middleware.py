"""The downloader middleware that archives every response as the server sent it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from newsspider import SCHEMA_VERSION, __version__, config
from newsspider.archive.warc import ArchiveError, WarcArchive
from newsspider.errors import BadInput
from newsspider.loaders import FETCHED_AT
from newsspider.output import DurableFeedExporter, probe_folder
from newsspider.redact import redacted

logger = logging.getLogger(__name__)

# Settings worth knowing when reading an archive years later; the whole NEWSSPIDER_ set besides.
INFO_SETTINGS = ("USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY", "CONCURRENT_REQUESTS_PER_DOMAIN")


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]


class ArchiveMiddleware:
    """Writes each response, with its request, to the run's WARC files before anything else
    (decompression, repairs, retries) sees it: at 950, nearest the download handler. A response
    that cannot be archived is not handed on (its page gives no record) and stops the crawl with
    the ``archive`` alarm: no record may come from a page the archive does not hold."""

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not (
            config.setting(settings, "NEWSSPIDER_ARCHIVE_ENABLED") and config.setting(settings, "NEWSSPIDER_RECORD_RUN")
        ):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.rotate_bytes: int = config.setting(settings, "NEWSSPIDER_ARCHIVE_ROTATE_BYTES")
        self.folder_template: str | None = config.setting(settings, "NEWSSPIDER_ARCHIVE_DIR")
        self.archive: WarcArchive | None = None
        self.error: str | None = None
        if self.folder_template is not None and crawler.spider is not None:
            folder = self._folder(crawler.spider)
            try:
                probe_folder(folder)
            except OSError as exc:
                name = f"NEWSSPIDER_ARCHIVE_DIR={self.folder_template!r}"
                raise BadInput(f"setting {name}: {folder} cannot be written ({exc.strerror})") from None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        return cls(crawler)

    def _folder(self, spider: Spider) -> Path:
        if self.folder_template is not None:
            return Path(config.fill("NEWSSPIDER_ARCHIVE_DIR", self.folder_template, {"name": spider.name}))
        feeds = self.crawler.get_extension(DurableFeedExporter)
        files = feeds.local_files() if feeds is not None else []
        # Beside the run's output, as its report is.
        return files[0].parent / "warc" if files else Path("output") / spider.name / "warc"

    def spider_opened(self, spider: Spider) -> None:
        run_id = getattr(spider, "run_id", "run")
        shared = config.setting(self.crawler.settings, "NEWSSPIDER_QUEUE_URI")
        prefix = f"{run_id}.{spider.worker}" if shared else run_id
        info = {
            "software": f"newsspider/{__version__} (schema {SCHEMA_VERSION}; Scrapy {scrapy.__version__})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": f"{spider.name} run {run_id}",
            "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": self.crawler.settings.get("USER_AGENT"),
            "settings": json_settings(self.crawler.settings),
        }
        folder = self._folder(spider)
        self.archive = WarcArchive(folder, prefix, self.rotate_bytes, info)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            repaired = self.archive.repair_leftovers()
        except OSError as exc:
            self._fail(f"archive {folder}: {exc.strerror}")
            return
        if repaired:
            self.stats.inc_value("newsspider/archive/repaired_files", len(repaired))

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if self.archive is None:
            return response
        if self.error is not None:
            raise IgnoreRequest(f"archive failed: {self.error}")
        now = datetime.now(UTC)
        try:
            self.archive.write_exchange(
                url=response.url,
                method=request.method,
                request_headers=_header_pairs(request.headers),
                request_body=request.body,
                status=response.status,
                protocol=response.protocol or "HTTP/1.1",
                response_headers=_header_pairs(response.headers),
                body=response.body,
                ip_address=str(response.ip_address) if response.ip_address else None,
                when=now,
            )
        except ArchiveError as exc:
            self._fail(str(exc))
            raise IgnoreRequest(f"archive failed: {exc}") from None
        request.meta[FETCHED_AT] = now  # the record's dateDownloaded: the same moment as the WARC-Date
        self.stats.inc_value("newsspider/archive/responses")
        self.stats.inc_value("newsspider/archive/payload_bytes", len(response.body))
        self._count_files()
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        """A fetch that got no response is archived as a ``metadata`` record saying why (requests a
        middleware refused, such as robots.txt's, were never sent and are not)."""
        if self.archive is None or self.error is not None or isinstance(exception, IgnoreRequest):
            return
        try:
            self.archive.write_failure(request.url, f"{type(exception).__name__}: {exception}")
            self.stats.inc_value("newsspider/archive/failures")
            self._count_files()
        except ArchiveError as exc:
            self._fail(str(exc))

    def _count_files(self) -> None:
        """Files and bytes so far, in the stats (the run report is written before this closes)."""
        self.stats.set_value("newsspider/archive/files", len(self.archive.files) + (self.archive.current is not None))
        self.stats.set_value("newsspider/archive/bytes", self.archive.size())

    def sync(self) -> None:
        """Make what was archived durable; raises :class:`ArchiveError`."""
        if self.archive is not None and self.error is None:
            try:
                self.archive.sync()
            except ArchiveError as exc:
                self._fail(str(exc))
                raise

    def _fail(self, message: str) -> None:
        if self.error is not None:
            return
        self.error = message
        self.stats.set_value("newsspider/archive/error", message)
        logger.error("Archive failed, the crawl stops: %s", message)
        if self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_failed"))

    def spider_closed(self, spider: Spider) -> None:
        if self.archive is None:
            return
        try:
            self.archive.close()
        except OSError as exc:
            self._fail(f"archive: {exc.strerror}")
        self._count_files()


def json_settings(settings: scrapy.settings.BaseSettings) -> str:
    """The crawl's own settings and the ones that shape its requests, as JSON (passwords redacted)."""
    chosen = {name: settings.get(name) for name in INFO_SETTINGS}
    chosen.update({name: settings.get(name) for name in sorted(settings) if name.startswith("NEWSSPIDER_")})
    return json.dumps(
        {k: redacted(v) if isinstance(v, str) and "://" in v else v for k, v in chosen.items()},
        ensure_ascii=False,
        default=str,
        sort_keys=True,
    )
