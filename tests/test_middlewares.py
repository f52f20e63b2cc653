import asyncio
from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response

from newsspider import middlewares
from newsspider.middlewares import BackoffRetryMiddleware, ResponseRepairMiddleware, retry_after_seconds
from newsspider.samplesite import faults
from tests.conftest import project_crawler

URL = "http://127.0.0.1:8000/bnews/worldnews/20240620/1.html"
PAGE = "<html><head>{meta}</head><body><div class='entry'><p>中国新闻正文。</p></div></body></html>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"1", 1.0),
        ("120", 120.0),
        (b"Fri, 27 Nov 2026 22:00:30 GMT", 30.0),
        (b"Fri, 27 Nov 2026 21:00:00 GMT", 0.0),  # in the past
        (b"soon", None),
        (None, None),
    ],
)
def test_retry_after_seconds(value, expected):
    assert retry_after_seconds(value, now=datetime(2026, 11, 27, 22, 0, 0, tzinfo=UTC)) == expected


@pytest.fixture
def waits(monkeypatch):
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(middlewares, "sleep", fake_sleep)
    return slept


def retry_middleware(**settings):
    crawler = project_crawler(**settings)
    crawler.spider = crawler._create_spider()
    return BackoffRetryMiddleware.from_crawler(crawler), crawler


def test_retry_after_is_waited_then_retried(waits):
    middleware, crawler = retry_middleware(NEWSSPIDER_RETRY_AFTER_MAX=60)
    request = Request(URL, meta={"page_kind": "article"})
    response = Response(URL, status=503, headers={"Retry-After": "7"}, request=request)
    retry = asyncio.run(middleware.process_response(request, response))
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1
    assert waits == [7.0]
    assert crawler.stats.get_value("newsspider/retry/retry_after_honoured") == 1


def test_retry_after_is_capped(waits):
    middleware, _ = retry_middleware(NEWSSPIDER_RETRY_AFTER_MAX=5)
    request = Request(URL)
    asyncio.run(middleware.process_response(request, Response(URL, status=429, headers={"Retry-After": "3600"})))
    assert waits == [5]


def test_backoff_doubles_per_retry_and_is_capped(waits):
    middleware, _ = retry_middleware(NEWSSPIDER_RETRY_BACKOFF_BASE=0.5, NEWSSPIDER_RETRY_BACKOFF_MAX=1.5, RETRY_TIMES=5)
    request = Request(URL)
    for _ in range(4):
        request = asyncio.run(middleware.process_response(request, Response(URL, status=500)))
    assert waits == [0.5, 1.0, 1.5, 1.5]


def test_exceptions_are_retried_with_backoff(waits):
    from twisted.internet.error import ConnectionLost

    middleware, _ = retry_middleware(NEWSSPIDER_RETRY_BACKOFF_BASE=0.25)
    retry = asyncio.run(middleware.process_exception(Request(URL), ConnectionLost()))
    assert isinstance(retry, Request) and waits == [0.25]


def test_empty_page_is_retried_but_not_other_empty_answers(waits):
    middleware, _ = retry_middleware()
    page = Request(URL, meta={"page_kind": "article"})
    assert isinstance(asyncio.run(middleware.process_response(page, Response(URL, status=200, body=b" "))), Request)
    other = Request("http://127.0.0.1:8000/robots.txt")
    empty = Response(other.url, status=200, body=b"")
    assert asyncio.run(middleware.process_response(other, empty)) is empty


def test_retries_give_up_with_the_response(waits):
    middleware, crawler = retry_middleware(RETRY_TIMES=1)
    request = asyncio.run(middleware.process_response(Request(URL), Response(URL, status=502)))
    final = Response(URL, status=502)
    assert asyncio.run(middleware.process_response(request, final)) is final
    assert crawler.stats.get_value("retry/max_reached") == 1


def repair(body: bytes, headers: dict | None = None) -> HtmlResponse:
    crawler = project_crawler()
    response = HtmlResponse(URL, body=body, headers=headers or {})
    return ResponseRepairMiddleware.from_crawler(crawler).process_response(Request(URL), response)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (PAGE.format(meta="").encode("utf-8"), {"Content-Type": "text/html; charset=iso-8859-1"}),  # wrong header
        (PAGE.format(meta='<meta charset="gbk">').encode("gbk"), {"Content-Type": "text/html"}),  # meta only
        (PAGE.format(meta='<meta charset="utf-8">').encode("gbk"), {"Content-Type": "text/html"}),  # wrong meta
        (PAGE.format(meta='<meta charset="big5">').encode("big5", "xmlcharrefreplace"), {"Content-Type": "text/html"}),
        (b"\xef\xbb\xbf" + PAGE.format(meta="").encode("utf-8"), {"Content-Type": "text/html"}),  # BOM
        (PAGE.format(meta="").encode("utf-8").replace("正文".encode(), "正\x00文".encode()), {}),  # NUL byte
        (PAGE.format(meta="").encode("utf-8").replace(b"</p>", b"</p></body></html>"), {}),  # stray end tags
    ],
    ids=["utf8-declared-latin1", "gbk-meta-only", "gbk-declared-utf8", "big5-meta-only", "bom", "nul", "stray-end"],
)
def test_repaired_pages_read_like_their_utf8_twin(body, headers):
    response = repair(body, headers)
    assert response.css("div.entry p::text").get() == "中国新闻正文。"


def test_repair_leaves_healthy_and_non_html_responses_alone():
    healthy = HtmlResponse(URL, body=PAGE.format(meta="").encode("utf-8"), encoding="utf-8")
    middleware = ResponseRepairMiddleware.from_crawler(project_crawler())
    assert middleware.process_response(Request(URL), healthy) is healthy
    image = Response(URL, body=b"\xff\xd8\x00\x00", headers={"Content-Type": "image/jpeg"})
    assert middleware.process_response(Request(URL), image) is image


CHALLENGE = faults.CHALLENGE_PAGE.encode("utf-8")


@pytest.mark.parametrize(
    ("status", "headers", "body", "challenge"),
    [
        (403, {"cf-mitigated": "challenge"}, b"", True),  # the header alone says it
        (503, {}, CHALLENGE, True),  # the page without the header
        (200, {}, b"<script>window._cf_chl_opt={cType: 'managed'}</script>", True),
        (403, {}, b"<html><title>403 Forbidden</title></html>", False),  # a plain refusal is an HTTP error
        (503, {"Retry-After": "1"}, b"<html>busy</html>", False),  # a busy server is retried, not blocked
        (200, {}, PAGE.format(meta="").encode("utf-8"), False),
    ],
)
def test_challenge_pages_are_recognised(status, headers, body, challenge):
    response = HtmlResponse(url=URL, status=status, headers=headers, body=body)
    assert middlewares.is_challenge(response) is challenge


def test_a_challenge_is_never_handed_to_the_spider_and_is_counted():
    crawler = project_crawler()
    middleware = middlewares.ChallengeMiddleware(crawler)
    request = Request(URL, meta={"page_kind": "article"})
    answer = faults.challenge_answer()
    response = HtmlResponse(url=URL, status=answer.status, headers=answer.headers, body=answer.body)
    with pytest.raises(middlewares.Blocked):
        middleware.process_response(request, response)
    healthy = HtmlResponse(url=URL, body=PAGE.format(meta="").encode("utf-8"))
    assert middleware.process_response(request, healthy) is healthy
    assert crawler.stats.get_value("newsspider/blocked") == 1
    assert crawler.stats.get_value("newsspider/blocked/article") == 1


class Engine:
    """Takes the crawl's stop instead of stopping a crawl."""

    def __init__(self):
        self.stops: list[str] = []

    def close_spider_async(self, reason: str) -> None:
        self.stops.append(reason)


@pytest.mark.parametrize(
    ("stop_after", "pages", "stops_at"),
    [
        (1, "C", 1),
        (3, "CCCCC", 3),  # the Nth challenge in a row stops it, once
        (3, "CC.CC.CC.CC.CC", None),  # a healthy page between challenges starts the count again
        (3, "CC.CCC", 6),
        (0, "C" * 50, None),  # 0: never
    ],
)
def test_the_crawl_stops_after_exactly_n_challenges_in_a_row(stop_after, pages, stops_at):
    crawler = project_crawler(NEWSSPIDER_BLOCKED_STOP_AFTER=stop_after)
    crawler.engine = Engine()
    middleware = middlewares.ChallengeMiddleware(crawler)
    answer = faults.challenge_answer()
    challenge = HtmlResponse(url=URL, status=answer.status, headers=answer.headers, body=answer.body)
    healthy = HtmlResponse(url=URL, body=PAGE.format(meta="").encode("utf-8"))
    stopped = None
    for number, page in enumerate(pages, 1):
        request = Request(URL, meta={"page_kind": "article"})
        if page == "C":
            with pytest.raises(middlewares.Blocked):
                middleware.process_response(request, challenge)
        else:
            assert middleware.process_response(request, healthy) is healthy
        if crawler.engine.stops and stopped is None:
            stopped = number
    assert stopped == stops_at
    assert crawler.engine.stops == ([] if stops_at is None else ["blocked"])
