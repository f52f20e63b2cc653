"""Random and mutated versions of real pages fed to extraction and cleaning: nothing raises, and
every record that comes out validates against the schema."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse

from newsspider.cleaning import clean_article_html
from newsspider.loaders import load_article
from newsspider.pipelines import CleaningPipeline, ValidationPipeline, load_schema
from newsspider.samplesite.faults import FaultPlan
from newsspider.samplesite.generator import SampleSite
from newsspider.sites import bannedbook as site
from newsspider.sites.bannedbook import SITE as BANNEDBOOK
from newsspider.spiders.bannedbook import BannedbookSpider
from newsspider.urls import canonical_url
from tests.conftest import FIXTURES, project_crawler

URL = "https://www.bannedbook.org/bnews/worldnews/20240620/2052419.html"
BASE = "http://127.0.0.1:8000"
VALIDATOR = Draft202012Validator(load_schema())
EXAMPLES = 300
SAMPLE = SampleSite()
PAGES = [
    (FIXTURES / "article-fragment.html").read_bytes(),
    SAMPLE.render(SAMPLE.articles[SAMPLE.public_ids[0]].path(), BASE)[2].encode("utf-8"),
    SAMPLE.render(SAMPLE.articles[SAMPLE.public_ids[7]].path(traditional=True), BASE)[2].encode("utf-8"),
]
LISTING = (FIXTURES / "listing-tag-2020.html").read_bytes()
FRAGMENTS = [
    b"<p>",
    b"</p>",
    b'<div class="entry">',
    b"</div>",
    b"</html>",
    b"\x00",
    b'<ul class="texttj">',
    b"<!--",
    b"-->",
    b"<script>",
    b"&nbsp;",
    b"\xe4\xbd",
    b"\xff\xfe",
    b'<a href="javascript:x">',
    b"<img src=>",
    "作者：".encode(),
    "来源：".encode(),
    "图：".encode(),
    b"<h2>",
    b"</h2>",
    b'<p class="notice">',
]
CRAWLER = project_crawler()
CLEANING = CleaningPipeline(CRAWLER)
VALIDATION = ValidationPipeline(CRAWLER)


@st.composite
def mutated(draw, pages: list[bytes]) -> bytes:
    """A real page cut, spliced, and sprinkled with markup fragments and random bytes."""
    page = bytearray(draw(st.sampled_from(pages)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(page)))
        action = draw(st.sampled_from(["insert", "delete", "truncate", "duplicate", "bytes"]))
        if action == "insert":
            page[at:at] = draw(st.sampled_from(FRAGMENTS))
        elif action == "delete":
            del page[at : at + draw(st.integers(1, 400))]
        elif action == "truncate":
            del page[at:]
        elif action == "duplicate":
            page[at:at] = page[max(0, at - 300) : at]
        else:
            page[at:at] = draw(st.binary(max_size=16))
    return bytes(page)


def extract(body: bytes, encoding: str | None = "utf-8") -> None:
    response = HtmlResponse(url=URL, body=body, encoding=encoding)
    item = load_article(response, BANNEDBOOK)
    item = CLEANING.process_item(item)
    try:
        item = VALIDATION.process_item(item)
    except DropItem:
        return
    record = dict(item.__dict__)
    assert not list(VALIDATOR.iter_errors(record))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=mutated(PAGES))
def test_mutated_article_pages(body, reliability_figures):
    reliability_figures["fuzz cases tried"] = reliability_figures.get("fuzz cases tried", 0) + 1
    extract(body)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=4096), encoding=st.sampled_from([None, "utf-8", "gbk", "big5", "latin-1"]))
def test_random_bytes_as_article_pages(body, encoding, reliability_figures):
    reliability_figures["fuzz cases tried"] = reliability_figures.get("fuzz cases tried", 0) + 1
    extract(body, encoding)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=st.text(max_size=3000) | mutated(PAGES).map(lambda b: b.decode("utf-8", "replace")))
def test_cleaning_any_html(html, reliability_figures):
    reliability_figures["fuzz cases tried"] = reliability_figures.get("fuzz cases tried", 0) + 1
    cleaned = clean_article_html(html, site.STRIP_SELECTORS, URL)
    assert isinstance(cleaned.text, str) and "\n\n" not in cleaned.text
    assert all(image["url"].startswith(("http://", "https://")) for image in cleaned.images)


@pytest.fixture(scope="module")
def spider():
    crawler = project_crawler()
    return BannedbookSpider.from_crawler(crawler)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(body=mutated([LISTING]))
def test_mutated_listing_pages(spider, body, reliability_figures):
    reliability_figures["fuzz cases tried"] = reliability_figures.get("fuzz cases tried", 0) + 1
    response = HtmlResponse(url="https://www.bannedbook.org/bnews/tag/x/", body=body, encoding="utf-8")
    for request in spider.parse_listing(response):
        # Off-site hosts are the offsite filter's business; what is scheduled is a clean web URL.
        assert canonical_url(request.url) == request.url


def test_fault_plan_pages_extract_without_errors():
    """Every faulty page the fault plan can serve goes through extraction without raising."""
    plan = FaultPlan(SampleSite(), seed=1)
    for article_id, kind in plan.by_article.items():
        if kind in ("huge", "gzip_bomb"):
            continue
        path = plan.site.articles[article_id].path()
        answer, _ = plan.respond(path, BASE)
        if answer.body:
            extract(answer.body, None)
