"""WARC files: one gzip member per record, rotated by size, closed by a rename.

A file being written is named ``<name>.warc.gz.open`` and holds an OS lock; it becomes
``<name>.warc.gz`` when it is closed, and only when every member in it is complete: a write that
fails (a full disk) is cut back to the last complete member first. A file left ``.open`` (by a
killed process, or one that could not be cut back) is repaired at the next start: its torn last
gzip member is cut off, so that every WARC file under its final name is valid.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
WARC_VERSION = "WARC/1.1"


class ArchiveError(OSError):
    """The archive could not be written: records from unarchived responses must not be emitted."""


def warc_date(moment: datetime | None = None) -> str:
    """WARC 1.1 dates carry microseconds."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def repair(path: Path) -> int:
    """Cut a ``.open`` file after its last complete gzip member and give it its final name; the
    number of bytes cut. A file another live process holds (its lock) is left alone (-1)."""
    with path.open("r+b") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return -1
        size = os.fstat(file.fileno()).st_size
        good = complete_members_end(file)
        if good < size:
            file.truncate(good)
            file.flush()
            os.fsync(file.fileno())
    path.rename(path.with_name(path.name[: -len(OPEN_SUFFIX)]))
    return size - good


def complete_members_end(file: BinaryIO, chunk: int = 1 << 20) -> int:
    """The offset where the file's last complete gzip member ends (0 when there is none)."""
    file.seek(0)
    good = pos = 0  # end of the last complete member; file offset of ``data``
    data = b""
    decompressor = None
    while True:
        if not data:
            data = file.read(chunk)
            if not data:
                return good  # the end of the file: in the middle of a member, that member is torn
        if decompressor is None:
            decompressor = zlib.decompressobj(wbits=31)
        try:
            decompressor.decompress(data)
        except zlib.error:
            return good
        if decompressor.eof:
            rest = decompressor.unused_data
            pos += len(data) - len(rest)
            good, data, decompressor = pos, rest, None
        else:
            pos += len(data)
            data = b""


class _WholeWrites:
    """An unbuffered file whose writes are whole or raise: a full disk can take part of a write
    without an error, and a member torn that way would pass for written."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            view = view[self.raw.write(view) :]
        return len(data)

    def flush(self) -> None:
        pass  # unbuffered: every write reached the OS


class WarcArchive:
    """The archive of one process's crawl: ``<folder>/<prefix>-<n>.warc.gz``, a new file once one
    reaches ``rotate_bytes``; each starts with a ``warcinfo`` record naming the crawler and settings."""

    def __init__(self, folder: Path, prefix: str, rotate_bytes: int, info: dict[str, Any]):
        self.folder = folder
        self.prefix = prefix
        self.rotate_bytes = rotate_bytes
        self.info = info
        self.files: list[Path] = []  # closed files
        self.records = 0
        self.bytes = 0
        self._number = 0
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None
        self._unsynced = False
        self._whole = True  # every member of the file being written is complete

    def repair_leftovers(self) -> list[tuple[Path, int]]:
        """Repair the ``.open`` files killed processes left in the folder."""
        repaired = []
        for path in sorted(self.folder.glob(f"*.warc.gz{OPEN_SUFFIX}")):
            cut = repair(path)
            if cut >= 0:
                repaired.append((path, cut))
                logger.warning("Archive %s was left open by a killed run: repaired (%d torn bytes cut)", path, cut)
        return repaired

    @property
    def current(self) -> Path | None:
        return self._path

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            name = f"{self.prefix}-{self._number:05d}.warc.gz"
            self._number += 1
            if not (self.folder / name).exists() and not (self.folder / (name + OPEN_SUFFIX)).exists():
                break
        self._path = self.folder / (name + OPEN_SUFFIX)
        self._file = open(self._path, "xb", buffering=0)  # noqa: SIM115 (closed in _close)
        fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._writer = WARCWriter(_WholeWrites(self._file), gzip=True, warc_version=WARC_VERSION)
        self._whole = True
        info = self._writer.create_warcinfo_record(name, self.info)
        self._writer.write_record(info)
        self._unsynced = True

    def _begin(self) -> int:
        """Open a file if none is open; the offset the next member starts at."""
        if self._file is None:
            try:
                self._open()
            except OSError:
                self._cut_back(0)
                self._close()  # an empty file: removed
                raise
        return self._file.tell()

    def _cut_back(self, offset: int) -> None:
        """After a failed write: the file cut back to its last complete member (ending at
        ``offset``). A file that cannot be cut stays ``.open`` when closed, for the next run's repair."""
        if self._file is None:
            return
        try:
            os.ftruncate(self._file.fileno(), offset)
            self._file.seek(offset)
        except OSError:
            self._whole = False

    def _close(self) -> None:
        if self._file is None:
            return
        file, path = self._file, self._path
        self._file = self._path = self._writer = None
        try:
            if not self._whole:
                return  # left .open: the next run's repair cuts its torn member
            if os.fstat(file.fileno()).st_size == 0:
                path.unlink()  # its warcinfo never made it: nothing to keep
                return
            os.fsync(file.fileno())
            final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
            path.rename(final)  # under the lock: no repair can take it meanwhile
            self.files.append(final)
        finally:
            file.close()

    def write_exchange(
        self,
        url: str,
        method: str,
        request_headers: Iterable[tuple[str, str]],
        request_body: bytes,
        status: int,
        protocol: str,
        response_headers: Iterable[tuple[str, str]],
        body: bytes,
        ip_address: str | None = None,
        when: datetime | None = None,
    ) -> str:
        """A response and the request it answered, each record its own gzip member, written
        through to the OS before this returns; the response record's id. When a write fails,
        neither is kept: the file is cut back to where the response began."""
        start = 0
        try:
            start = self._begin()
            writer = self._writer
            date = warc_date(when)
            reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            http = StatusAndHeaders(f"{status} {reason}".strip(), list(response_headers), protocol=protocol)
            headers = {"WARC-Date": date}
            if ip_address:
                headers["WARC-IP-Address"] = ip_address
            response = writer.create_warc_record(
                url, "response", payload=BytesIO(body), length=len(body), http_headers=http, warc_headers_dict=headers
            )
            target = url.split("/", 3)[3] if url.count("/") >= 3 else ""
            request_http = StatusAndHeaders(
                f"{method} /{target} HTTP/1.1", list(request_headers), protocol="HTTP/1.1", is_http_request=True
            )
            request = writer.create_warc_record(
                url,
                "request",
                payload=BytesIO(request_body),
                length=len(request_body),
                http_headers=request_http,
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
                },
            )
            writer.write_record(response)
            writer.write_record(request)
        except OSError as exc:
            self._cut_back(start)
            raise ArchiveError(exc.errno, f"archive {self._path}: {exc.strerror}") from None
        self._after_write()
        return response.rec_headers.get_header("WARC-Record-ID")

    def write_failure(self, url: str, reason: str, when: datetime | None = None) -> None:
        """A request that got no response (a reset, a timeout): a ``metadata`` record saying why."""
        start = 0
        try:
            start = self._begin()
            payload = json.dumps({"fetchError": reason}, ensure_ascii=False).encode("utf-8")
            record = self._writer.create_warc_record(
                url,
                "metadata",
                payload=BytesIO(payload),
                length=len(payload),
                warc_content_type="application/json",
                warc_headers_dict={"WARC-Date": warc_date(when)},
            )
            self._writer.write_record(record)
        except OSError as exc:
            self._cut_back(start)
            raise ArchiveError(exc.errno, f"archive {self._path}: {exc.strerror}") from None
        self._after_write()

    def _after_write(self) -> None:
        self.records += 1
        self._unsynced = True
        size = self._file.tell()
        if size >= self.rotate_bytes:
            self.bytes += size
            path = self._path
            try:
                self._close()
            except OSError as exc:
                raise ArchiveError(exc.errno, f"archive {path}: {exc.strerror}") from None

    def size(self) -> int:
        """Bytes written so far, in closed files and the one being written."""
        return self.bytes + (self._file.tell() if self._file is not None else 0)

    def sync(self) -> None:
        """fsync the file being written (the state commits records only after this)."""
        if self._file is not None and self._unsynced:
            try:
                os.fsync(self._file.fileno())
            except OSError as exc:
                raise ArchiveError(exc.errno, f"archive {self._path}: fsync failed: {exc.strerror}") from None
            self._unsynced = False

    def close(self) -> None:
        if self._file is not None:
            self.bytes += self._file.tell()
            self._close()
