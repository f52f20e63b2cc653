"""Durable output: a record counts as emitted only once its line is in the output.

:class:`DurableFeedExporter` is Scrapy's feed exporter with three duties added:

- before anything is fetched it checks that every feed can be written, and, with the crawl state
  on, that no feed would replace a file holding earlier records and that every feed can be read
  back after a kill (JSON Lines on a local file or stdout);
- a record whose write fails is not emitted: the run stops with reason ``output_error`` and the
  failure goes to the stats (``newsspider/output/error``), so the verdict fails;
- every record that did reach its feeds is announced with the :data:`record_written` signal,
  which is what the crawl state and the run report count.

:class:`JsonLinesExporter` writes each record with one unbuffered write, so a killed process
leaves every finished line in the file, and a failed write is undone before it can tear a line.
On a pipe (stdout), whose lines cannot be read back after a kill, a line's newline is written
only once the crawl state has recorded the line: a reader never holds a complete line that the
next run would emit again.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.exporters import JsonLinesItemExporter
from scrapy.extensions.feedexport import FeedExporter, FileFeedStorage, apply_uri_params
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.python import to_bytes

from newsspider import config
from newsspider.errors import BadInput

logger = logging.getLogger(__name__)

# Sent with ``item=`` once a record is written to every feed that takes it.
record_written = object()
# Sent when a feed starts a new file (a batch, FEED_EXPORT_BATCH_ITEM_COUNT), before it is written to.
feed_file_added = object()

JSON_LINES_FORMATS = ("jsonlines", "jsonl", "jl")


def local_path(uri: str) -> Path | None:
    """The file a feed URI writes to, ``None`` for stdout and remote storages."""
    parts = urlsplit(uri)
    # absolute(), not resolve(): /dev/stdout must stay itself, not become /proc/N/fd/pipe:[...]
    if parts.scheme == "file":
        return Path(unquote(parts.path)).absolute()
    if parts.scheme == "" or len(parts.scheme) == 1:  # a Windows drive is no scheme
        return Path(uri).absolute()
    return None


def is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def can_be_read_back(path: Path | None) -> bool:
    """A feed file whose lines a later run can replay: a regular file (or one not created yet),
    not stdout, a device such as ``/dev/full`` or a pipe."""
    return path is not None and (is_regular_file(path) or not path.exists())


def repair_torn_tail(path: Path) -> Path | None:
    """Move a torn last line (a run killed mid-write) aside, so that the file holds only complete
    lines and a later append cannot glue a record onto the fragment. Returns where it went."""
    if not is_regular_file(path):
        return None
    with path.open("r+b") as file:
        size = file.seek(0, io.SEEK_END)
        cut = size
        while cut > 0:
            start = max(0, cut - 65536)
            file.seek(start)
            chunk = file.read(cut - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                cut = start + newline + 1
                break
            cut = start
        if cut == size:
            return None
        file.seek(cut)
        fragment = file.read()
        aside = path.with_name(f"{path.name}.torn")
        number = 1
        while aside.exists():
            aside = path.with_name(f"{path.name}.torn.{number}")
            number += 1
        aside.write_bytes(fragment)
        file.truncate(cut)
        file.flush()
        os.fsync(file.fileno())
    logger.warning("Moved the torn last line of %s (%d bytes) aside to %s", path, size - cut, aside.name)
    return aside


def probe_folder(folder: Path, keep: bool = True) -> None:
    """Create ``folder`` and write a temporary file in it; raises ``OSError``. Nothing is left behind
    (bar the folder, and not even that without ``keep``: a folder only written to when all else
    fails), so a run refused later by another check writes nothing."""
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    finally:
        if not keep:
            for path in made:  # deepest first; one that was not made, or is no longer empty, stays
                with contextlib.suppress(OSError):
                    path.rmdir()


class OutputError(OSError):
    """A record could not be written to a feed."""


class JsonLinesExporter(JsonLinesItemExporter):
    """JSON Lines, one ``os.write`` per record straight to the file descriptor (no buffer that a
    kill could lose or that a later flush could tear); a write that fails is truncated away."""

    def __init__(self, file: Any, **kwargs: Any):
        super().__init__(file, **kwargs)
        self.name = str(getattr(file, "name", "output"))
        try:
            self.fd: int | None = file.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            self.fd = None  # e.g. a post-processing wrapper: written through the file object
        self.regular = self.fd is not None and stat.S_ISREG(os.fstat(self.fd).st_mode)
        self.newline_due = False  # on a pipe: the last line waits for complete_line()

    def export_item(self, item: Any) -> None:
        line = to_bytes(self.encoder.encode(dict(self.get_serialized_fields(item))) + "\n", self.encoding)
        if self.fd is None:
            self.file.write(line)
            self.file.flush()
            return
        if not self.regular:
            self._write(line[:-1])
            self.newline_due = True
            return
        start = os.fstat(self.fd).st_size
        try:
            self._write(line)
        except OutputError:
            os.ftruncate(self.fd, start)  # no torn line: the file is as it was before
            raise

    def complete_line(self) -> None:
        """Write the newline a pipe's last line waits for (its record is counted by now)."""
        if self.newline_due:
            self.newline_due = False
            self._write(b"\n")

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError as exc:
            raise OutputError(exc.errno, f"{self.name}: {exc.strerror}") from None

    def sync(self) -> None:
        """Make every written line durable (before the crawl state records it as emitted)."""
        if self.fd is not None and self.regular and not self.file.closed:
            try:
                os.fsync(self.fd)
            except OSError as exc:
                raise OutputError(exc.errno, f"{self.name}: fsync failed: {exc.strerror}") from None

    def finish_exporting(self) -> None:
        self.sync()


class DurableFeedExporter(FeedExporter):
    """Scrapy's ``FeedExporter``, checked before the run and honest about failed writes."""

    def __init__(self, crawler: Crawler):
        try:
            super().__init__(crawler)
        except NotConfigured:
            if crawler.settings.getdict("FEEDS") or crawler.settings.get("FEED_URI"):
                # Scrapy has logged why; without this the run would write nothing and still say "ok".
                raise BadInput(
                    "output: Scrapy cannot use the feed settings (FEEDS, -o/-O): see the error above"
                ) from None
            raise
        self.error: str | None = None
        self._writing = True
        # URIs are rendered once, here, so that the files checked are the files written
        # (``%(time)s`` would otherwise move on between the check and the opening).
        self._first_batch_params: dict[Any, dict[str, Any]] = {}
        self.planned: dict[str, str] = {}
        self.files: list[Path] = []  # every local file a slot of this run writes, batches included
        self._opened = False
        if crawler.spider is not None:  # None only for crawlers that tests build without a crawl
            for uri, options in self.feeds.items():
                try:
                    self.planned[uri] = apply_uri_params(
                        uri, self._get_uri_params(crawler.spider, options["uri_params"])
                    )
                except (KeyError, ValueError, TypeError) as exc:
                    raise BadInput(
                        f"output {uri}: cannot fill in its %-placeholders ({type(exc).__name__}: {exc})"
                    ) from None
            self._check(crawler)

    def _get_uri_params(self, spider: Spider, uri_params_function: Any, slot: Any = None) -> dict[str, Any]:
        if slot is not None:
            return super()._get_uri_params(spider, uri_params_function, slot)
        if uri_params_function not in self._first_batch_params:
            self._first_batch_params[uri_params_function] = super()._get_uri_params(spider, uri_params_function)
        return self._first_batch_params[uri_params_function]

    @property
    def replayable(self) -> bool:
        """True when every record written can be read back from a file after a kill."""
        return all(can_be_read_back(local_path(uri)) for uri in self.planned.values())

    def local_files(self) -> list[Path]:
        """The regular files this run writes (not devices such as ``/dev/full``), so far."""
        return [p for p in self.files if can_be_read_back(p)]

    def _start_new_batch(self, *args: Any, **kwargs: Any) -> Any:
        slot = super()._start_new_batch(*args, **kwargs)
        path = local_path(slot.uri)
        if path is not None and path not in self.files:
            self.files.append(path)
            if self._opened:  # a batch after the first files: the state must know it before it is written to
                self.crawler.signals.send_catch_log(feed_file_added, path=path)
        return slot

    def _check(self, crawler: Crawler) -> None:
        state_on = config.keeps_state(crawler.settings)
        for template, uri in self.planned.items():
            options = self.feeds[template]
            path = local_path(uri)
            if state_on and options["format"] not in JSON_LINES_FORMATS:
                raise BadInput(
                    f"output {uri}: format {options['format']!r} cannot be read back after a kill; with the crawl"
                    " state on, write JSON Lines (a .jsonl file) or set NEWSSPIDER_STATE_ENABLED=False"
                )
            if state_on and options.get("postprocessing"):
                raise BadInput(
                    f"output {uri}: post-processing (e.g. gzip) holds lines in a buffer, which a kill would lose after"
                    " the crawl state counted them; with the state on, write plain JSON Lines (compress after the run)"
                )
            if state_on and path is None and urlsplit(uri).scheme != "stdout":
                raise BadInput(
                    f"output {uri}: with the crawl state on, feeds must be local files or stdout (remote storages"
                    " upload at the end, after the state has counted the records); set NEWSSPIDER_STATE_ENABLED=False"
                )
            if path is None:
                continue
            if path.is_dir():
                raise BadInput(f"output {path}: is a directory, expected a file")
            if state_on and options.get("overwrite") and is_regular_file(path) and path.stat().st_size > 0:
                raise BadInput(
                    f"output {path}: -O would replace a file that is not empty (records of an earlier run are held"
                    " by the crawl state and would not be emitted again); append with -o, write to a new file, or"
                    " set NEWSSPIDER_STATE_ENABLED=False for a full export"
                )
            try:
                if path.exists():
                    with path.open("ab"):  # append mode: never truncates
                        pass
                else:
                    probe_folder(path.parent)
            except OSError as exc:
                where = f": {exc.filename}" if exc.filename and str(exc.filename) != str(path) else ""
                raise BadInput(f"output {path}: cannot be written ({exc.strerror}{where})") from None

    def open_spider(self, spider: Spider) -> None:
        super().open_spider(spider)
        self._opened = True
        for slot in self.slots:
            if isinstance(slot.storage, FileFeedStorage) and slot.storage.write_mode == "ab":
                repair_torn_tail(Path(slot.storage.path))

    def stop_writing(self) -> None:
        """Write no more records: the run is stopping for a reason of another component's."""
        self._writing = False

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if self.error is not None or not self._writing:
            return  # the run is stopping: nothing more is written, so nothing more is emitted
        # A record no feed takes (item_filter, item_classes) is written nowhere, so it is not emitted.
        taken = any(slot.filter.accepts(item) for slot in self.slots)
        try:
            super().item_scraped(item, spider)
        except Exception as exc:  # storages and exporters raise many types; all of them lose the record
            self.fail(str(exc) if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}")
            return
        if taken:
            self.crawler.stats.inc_value("newsspider/output/records")
            self.crawler.signals.send_catch_log(record_written, item=item)
            if self._writing:  # not when the state failed to record it: the line stays torn
                self._complete_lines()

    def _complete_lines(self) -> None:
        try:
            for slot in self.slots:
                if isinstance(slot.exporter, JsonLinesExporter):
                    slot.exporter.complete_line()
        except OutputError as exc:
            self.fail(str(exc))

    def sync(self) -> None:
        """fsync every open feed file; raises :class:`OutputError`."""
        for slot in self.slots:
            if isinstance(slot.exporter, JsonLinesExporter):
                slot.exporter.sync()

    def fail(self, message: str) -> None:
        """Stop the run: an output that cannot be written makes every later record a lie."""
        if self.error is not None:
            return
        self.error = message
        self.crawler.stats.set_value("newsspider/output/error", message)
        logger.error("Output failed, stopping the crawl: %s", message)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="output_error"))
