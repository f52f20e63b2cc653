"""Archived responses read back as Scrapy responses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scrapy import Request
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator

from newsspider.loaders import FETCHED_AT

# Headers that describe the bytes on the wire, not the payload warcio hands back decoded.
WIRE_HEADERS = ("content-encoding", "transfer-encoding", "content-length")


@dataclass(frozen=True)
class Located:
    """Where one response record is: the file and the offset of its gzip member."""

    path: Path
    offset: int
    url: str
    date: datetime
    status: int


def index(path: Path) -> Iterator[Located]:
    """Every HTTP response record of a WARC file, with its place (headers only are parsed)."""
    with path.open("rb") as file:
        records = ArchiveIterator(file)
        for record in records:
            if record.rec_type != "response" or record.http_headers is None:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            date = parse_warc_date(record.rec_headers.get_header("WARC-Date"))
            status = int(record.http_headers.get_statuscode() or 0)
            yield Located(path, records.get_record_offset(), url, date, status)


def parse_warc_date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def response_at(located: Located) -> Response:
    """The archived response as the crawl's callbacks saw it: payload decoded (gzip, chunked),
    its class (``HtmlResponse``...) chosen from the headers as Scrapy's downloader chooses it."""
    with located.path.open("rb") as file:
        file.seek(located.offset)
        record = next(iter(ArchiveIterator(file)))
        body = record.content_stream().read()
        pairs = [(k, v) for k, v in record.http_headers.headers if k.lower() not in WIRE_HEADERS]
    headers = Headers()
    for name, value in pairs:
        headers.appendlist(name, value)
    cls = responsetypes.from_args(headers=headers, url=located.url, body=body)
    request = Request(located.url, meta={FETCHED_AT: located.date})
    return cls(url=located.url, status=located.status, headers=headers, body=body, request=request)
