"""Downloader middlewares: patient retries, and responses repaired before anything parses them."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import robotstxt
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from newsspider import config

# Pages whose empty 200 answer is a server hiccup rather than content.
PAGE_KINDS = frozenset({"listing", "article", "related", "feed", "sitemap"})


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds or an HTTP date; ``None`` if unusable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry (same settings, same stats), plus a wait before each retry: the server's
    ``Retry-After`` when it sends one (up to ``NEWSSPIDER_RETRY_AFTER_MAX``), else exponential
    backoff from ``NEWSSPIDER_RETRY_BACKOFF_BASE`` (up to ``NEWSSPIDER_RETRY_BACKOFF_MAX``).
    An empty 200 answer for a page is retried too. The wait holds the request's download slot,
    so the whole host is slowed down, which is what a server asking for patience wants."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler.settings)
        self.crawler = crawler
        settings = crawler.settings
        self.backoff_base: float = config.setting(settings, "NEWSSPIDER_RETRY_BACKOFF_BASE")
        self.backoff_max: float = config.setting(settings, "NEWSSPIDER_RETRY_BACKOFF_MAX")
        self.retry_after_max: float = config.setting(settings, "NEWSSPIDER_RETRY_AFTER_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False):
            return response
        if response.status in self.retry_http_codes:
            reason = response_status_message(response.status)
        elif response.status == 200 and not response.body.strip() and request.meta.get("page_kind") in PAGE_KINDS:
            reason = "empty_body"
        else:
            return response
        retry = self._retry(request, reason)
        if retry is None:
            return response
        await self._wait(request, retry_after_seconds(response.headers.get(b"Retry-After")))
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            await self._wait(request, None)
        return retry

    async def _wait(self, request: Request, retry_after: float | None) -> None:
        stats = self.crawler.stats
        if retry_after is not None:
            delay = min(retry_after, self.retry_after_max)
            stats.inc_value("newsspider/retry/retry_after_honoured")
        else:
            delay = min(self.backoff_base * 2 ** request.meta.get("retry_times", 0), self.backoff_max)
        stats.inc_value("newsspider/retry/waited_seconds", round(delay, 3))
        if delay > 0:
            await sleep(delay)


def _without_traceback(record: logging.LogRecord) -> bool:
    record.exc_info = None  # the message already names the error; the traceback is Scrapy's internals
    return True


class RobotsTxtMiddleware(robotstxt.RobotsTxtMiddleware):
    """Scrapy's, except that an unreachable robots.txt (a dead site) is one log line instead of a
    traceback: the pages' own failures are reported with their reasons anyway."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        logging.getLogger(robotstxt.__name__).addFilter(_without_traceback)

    async def robot_parser(self, request: Request) -> Any:
        """Scrapy's, except that every request waiting for robots.txt gets its rules. Scrapy's
        waiters share one Deferred through ``maybe_deferred_to_future``, whose first waiter takes
        the result: the others get None and are let through unchecked (since scrapy/scrapy#6802; seen
        with several workers, whose first requests arrive at once). Once fetched, the rules are in
        ``_parsers``."""
        parser = await super().robot_parser(request)
        current = self._parsers.get(urlparse_cached(request).netloc, parser)
        return parser if isinstance(current, Deferred) else current

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        # What the run obeys, in its log: a robots.txt that came back empty allows everything.
        log = logging.getLogger(__name__)
        log.info("robots.txt of %s: HTTP %d, %d bytes", netloc, response.status, len(response.body))
        await super()._parse_robots(response, netloc, request)


class Blocked(IgnoreRequest):
    """The site answered with a bot challenge instead of the page."""


# Cloudflare's managed challenge: "Just a moment...", a script setting window._cf_chl_opt.
_CHALLENGE_MARKERS = (b"window._cf_chl_opt", b"<title>Just a moment...</title>", b"/cdn-cgi/challenge-platform/")


def is_challenge(response: Response) -> bool:
    """A bot challenge page: the ``cf-mitigated: challenge`` header, or a 403/503 (or any page)
    whose body is Cloudflare's challenge script."""
    if (response.headers.get(b"cf-mitigated") or b"").strip().lower() == b"challenge":
        return True
    head = response.body[:65536]
    if b"window._cf_chl_opt" in head:
        return True
    return response.status in (403, 429, 503) and any(marker in head for marker in _CHALLENGE_MARKERS)


class ChallengeMiddleware:
    """Turns a bot challenge into a failed request (``Blocked``, counted as ``newsspider/blocked``),
    so that it is never parsed as a listing or an article and never retried at once; after
    ``NEWSSPIDER_BLOCKED_STOP_AFTER`` challenges in a row the crawl stops (reason ``blocked``)
    instead of hammering a site that has shut the door."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stop_after: int = config.setting(crawler.settings, "NEWSSPIDER_BLOCKED_STOP_AFTER")
        self.in_a_row = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChallengeMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not is_challenge(response):
            self.in_a_row = 0
            return response
        stats = self.crawler.stats
        stats.inc_value("newsspider/blocked")
        stats.inc_value(f"newsspider/blocked/{request.meta.get('page_kind', 'other')}")
        self.in_a_row += 1
        if self.stop_after and self.in_a_row == self.stop_after:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="blocked"))
        raise Blocked(f"blocked by a bot challenge (HTTP {response.status}): {request.url}")


_STRAY_END_TAGS_RE = re.compile(rb"</\s*(?:html|body)\s*>", re.IGNORECASE)
# What may follow a document's real end: more end tags, comments, whitespace.
_TRAILER_RE = re.compile(rb"</\s*(?:html|body)\s*>|<!--.*?-->|\s+", re.IGNORECASE | re.DOTALL)
# Fallbacks for a page whose declared charset does not decode it, most likely first for this site.
_FALLBACK_ENCODINGS = ("utf-8", "gb18030", "big5")


class ResponseRepairMiddleware:
    """Fixes HTML that would otherwise cost article text, before any parser sees it:

    - the encoding: a body that is valid UTF-8 (with non-ASCII text) is read as UTF-8 whatever
      the header claims; a body the declared charset cannot decode is read with its ``<meta>``
      charset, else the first of UTF-8, GB18030, Big5 that decodes it;
    - NUL bytes, which lxml refuses;
    - stray ``</body>`` and ``</html>`` tags, after which libxml2 drops the rest of the page.
    """

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResponseRepairMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse) or not response.body:
            return response
        body = response.body
        encoding = self._encoding(response)
        if not encoding.startswith("utf-16") and not encoding.startswith("utf-32"):
            if b"\x00" in body:
                body = body.replace(b"\x00", b"")
                self.stats.inc_value("newsspider/repair/nul_bytes")
            repaired = _drop_stray_end_tags(body)
            if repaired is not body:
                body = repaired
                self.stats.inc_value("newsspider/repair/stray_end_tags")
        if body is response.body and encoding == response.encoding:
            return response
        if encoding != response.encoding:
            self.stats.inc_value(f"newsspider/repair/charset/{response.encoding}->{encoding}")
        return response.replace(body=body, encoding=encoding)

    @staticmethod
    def _encoding(response: HtmlResponse) -> str:
        declared = response.encoding
        body = response.body
        if body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            return declared  # a BOM already decided it
        if not body.isascii() and _decodes(body, "utf-8"):
            return "utf-8" if resolve_encoding(declared) != "utf-8" else declared
        if _decodes(body, declared):
            return declared
        candidates = [html_body_declared_encoding(body), *_FALLBACK_ENCODINGS]
        for candidate in candidates:
            if candidate and _decodes(body, candidate):
                return resolve_encoding(candidate) or candidate
        return declared


def _drop_stray_end_tags(body: bytes) -> bytes:
    """Remove ``</body>``/``</html>`` tags that have page content after them; the document's
    own closing tags stay, so a healthy page comes back as the very same object."""
    stray = [m for m in _STRAY_END_TAGS_RE.finditer(body) if _TRAILER_RE.sub(b"", body[m.end() :])]
    if not stray:
        return body
    parts, last = [], 0
    for match in stray:
        parts.append(body[last : match.start()])
        last = match.end()
    parts.append(body[last:])
    return b"".join(parts)


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(resolve_encoding(encoding) or encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True
