"""Archived responses read back as Scrapy responses, every record checked whole first.

A WARC file of the crawl is one gzip member per record. A member is read only when it
decompresses whole and its record's block matches its ``Content-Length`` and its digests
(``WARC-Block-Digest``, ``WARC-Payload-Digest``); anything else is damage, reported with what
could be read of the member's header, and the reading resumes at the next gzip member.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from scrapy import Request
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from warcio.recordloader import ArcWarcRecordLoader

from newsspider.loaders import FETCHED_AT

# Headers that describe the bytes on the wire, not the payload warcio hands back decoded.
WIRE_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK = 1 << 16  # most members in one read; a larger read copies its unused rest once per member
# What of a damaged member's start is decompressed to read its header, a little at a time.
SALVAGE_STEP, SALVAGE_HEAD = 256, 4096
# Whole lines only: a torn header's last line may be cut short.
HEADER_LINE = re.compile(rb"^(WARC-Type|WARC-Target-URI|WARC-Date): *(\S+)\r\n", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Located:
    """Where one response record is: the file and the offset of its gzip member."""

    path: Path
    offset: int
    url: str
    date: datetime
    status: int


@dataclass(frozen=True, slots=True)
class Damaged:
    """A gzip member that gives no record: why (``torn_member``: the file ends inside it;
    ``corrupt_member``: it does not decompress; ``length_mismatch``, ``digest_mismatch``,
    ``bad_record``), and what its header said, when enough of it could be read."""

    path: Path
    offset: int
    kind: str
    record_type: str | None = None
    url: str | None = None
    date: datetime | None = None


class DamagedRecord(ValueError):
    """The record asked for is damaged."""

    def __init__(self, damaged: Damaged):
        super().__init__(f"{damaged.path} at {damaged.offset}: {damaged.kind}")
        self.damaged = damaged


def index(path: Path) -> Iterator[Located | Damaged]:
    """Every whole HTTP response record of a WARC file with its place, and every damaged member."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        offset = 0
        while offset < size:
            data, end, problem = _inflate(file, offset)
            try:
                if problem is not None:
                    raise _Damage(problem)
                record, _ = _record(data)
            except _Damage as exc:
                yield _damaged(file, path, offset, exc.kind)
                offset = end if end is not None else _resync(file, offset + 1, size)
                continue
            if record.rec_type == "response" and record.http_headers is not None:
                url = record.rec_headers.get_header("WARC-Target-URI")
                try:
                    date = parse_warc_date(record.rec_headers.get_header("WARC-Date") or "")
                    status = int(record.http_headers.get_statuscode() or 0)
                except ValueError:  # whole and digest-valid, but its header lies: no record from it
                    yield _damaged(file, path, offset, "bad_record")
                    offset = end
                    continue
                yield Located(path, offset, url, date, status)
            offset = end


def parse_warc_date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def response_at(located: Located, meta: dict[str, Any] | None = None) -> Response:
    """The archived response as the crawl's callbacks saw it: payload decoded (gzip, chunked),
    its class (``HtmlResponse``...) chosen from the headers as Scrapy's downloader chooses it,
    ``meta`` in its request's. :class:`DamagedRecord` when the record is not whole."""
    with located.path.open("rb") as file:
        data, _, problem = _inflate(file, located.offset)
        try:
            if problem is not None:
                raise _Damage(problem)
            record, payload = _record(data)
        except _Damage as exc:
            raise DamagedRecord(_damaged(file, located.path, located.offset, exc.kind)) from None
    record.raw_stream = BytesIO(payload)  # checked already: decoded from memory
    body = record.content_stream().read()
    pairs = [(k, v) for k, v in record.http_headers.headers if k.lower() not in WIRE_HEADERS]
    headers = Headers()
    for name, value in pairs:
        headers.appendlist(name, value)
    cls = responsetypes.from_args(headers=headers, url=located.url, body=body)
    request = Request(located.url, meta={**(meta or {}), FETCHED_AT: located.date})
    return cls(url=located.url, status=located.status, headers=headers, body=body, request=request)


def warc_problem(path: Path) -> str | None:
    """Why the file is no gzipped WARC file (``None`` when it starts as one), told by its content."""
    with path.open("rb") as file:
        head = file.read(SALVAGE_STEP)
        if not head:
            return "an empty file"
        if head.startswith(b"WARC/"):
            return "an uncompressed WARC file (re-extraction reads one gzip member per record, as the crawl writes)"
        if not head.startswith(GZIP_MAGIC):
            return f"not a WARC file (it starts with {head[:12]!r})"
        if not _salvage(file, 0).startswith(b"WARC/"):
            return "gzip, but no WARC record inside"
    return None


class _Damage(Exception):
    def __init__(self, kind: str):
        self.kind = kind


def _inflate(file: BinaryIO, offset: int) -> tuple[bytes, int | None, str | None]:
    """The gzip member at ``offset`` decompressed, where it ends, and its damage: ``torn_member``
    (the file ends inside it) or ``corrupt_member`` (it does not decompress, or fails its CRC)."""
    file.seek(offset)
    decompressor = zlib.decompressobj(wbits=31)
    parts = []
    at = offset
    while True:
        block = file.read(CHUNK)
        if not block:
            return b"", None, "torn_member"
        try:
            parts.append(decompressor.decompress(block))
        except zlib.error:
            return b"", None, "corrupt_member"
        if decompressor.eof:
            return b"".join(parts), at + len(block) - len(decompressor.unused_data), None
        at += len(block)


def _record(data: bytes) -> tuple[Any, bytes]:
    """The one record a whole member holds, checked, and its raw payload."""
    stream = BytesIO(data)
    try:
        record = ArcWarcRecordLoader().parse_record_stream(stream, check_digests=True)
        payload = record.raw_stream.read()
    except Exception:  # warcio raises several unrelated types on a malformed record
        raise _Damage("bad_record") from None
    if record.raw_stream.limit or stream.read().strip(b"\r\n"):
        raise _Damage("length_mismatch")  # a block shorter than its Content-Length, or bytes after it
    if record.digest_checker.passed is False:
        raise _Damage("digest_mismatch")
    return record, payload


def _salvage(file: BinaryIO, offset: int) -> bytes:
    """What the start of the member at ``offset`` decompresses to, up to its damage."""
    file.seek(offset)
    decompressor = zlib.decompressobj(wbits=31)
    out = b""
    while len(out) < SALVAGE_HEAD and not decompressor.eof:
        block = file.read(SALVAGE_STEP)
        if not block:
            break
        try:
            out += decompressor.decompress(block)
        except zlib.error:
            break
    return out


def _damaged(file: BinaryIO, path: Path, offset: int, kind: str) -> Damaged:
    """The damage, with what the member's header says when its start still decompresses."""
    head = _salvage(file, offset)
    fields = {}
    if head.startswith(b"WARC/"):
        header, end, _ = head.partition(b"\r\n\r\n")
        header += b"\r\n" if end else b""
        fields = {name.decode(): value.decode("latin-1") for name, value in HEADER_LINE.findall(header)}
    try:
        date = parse_warc_date(fields["WARC-Date"]) if "WARC-Date" in fields else None
    except ValueError:
        date = None
    return Damaged(path, offset, kind, fields.get("WARC-Type"), fields.get("WARC-Target-URI"), date)


def _resync(file: BinaryIO, start: int, size: int) -> int:
    """The next member after damage: the first gzip header from ``start`` on whose member starts
    as a WARC record (three bytes of compressed data can look like a header); ``size`` if none."""
    at = start
    while at < size:
        file.seek(at)
        block = file.read(CHUNK)
        found = block.find(GZIP_MAGIC)
        if found < 0:
            at += max(len(block) - len(GZIP_MAGIC) + 1, 1)
            continue
        candidate = at + found
        if _salvage(file, candidate).startswith(b"WARC/"):
            return candidate
        at = candidate + 1
    return size
