"""The sample site is faithful to the real templates, and extraction matches what it expects."""

import re

import pytest
from jsonschema import Draft202012Validator
from scrapy.http import HtmlResponse

from newsspider.pipelines import load_schema
from newsspider.samplesite.generator import SampleSite
from newsspider.samplesite.templates.bannedbook_article import LISTED_SECTIONS, listing_path
from newsspider.spiders.bannedbook import BannedbookSpider
from newsspider.spiders.rfi import RfiSpider
from tests.conftest import project_crawler
from tests.helpers import NON_ARTICLE_MARKERS, RFI_NON_ARTICLE_MARKERS, extract, without_download_time

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def sample():
    return SampleSite()


def fetch(sample, path):
    status, content_type, body = sample.render(path, BASE)
    return status, body


def test_generation_is_deterministic(sample):
    again = SampleSite()
    assert again.public_ids == sample.public_ids
    assert again.expected_records(BASE) == sample.expected_records(BASE)
    assert SampleSite(seed=7).public_ids != sample.public_ids


def test_site_has_what_the_issue_asks_for(sample):
    articles = [sample.articles[a] for a in sample.public_ids]
    assert len(articles) >= 300
    assert {"author_first", "credit_first"} == {a.layout for a in articles}
    assert any(a.source_in_src_info and a.source for a in articles)
    assert any(a.layout == "credit_first" for a in articles)
    assert any(a.editor for a in articles) and any(not a.editor for a in articles)
    sections = {a.section for a in articles}
    assert len(sections) >= 3 and any("/" in s for s in sections)
    assert {t for _, t in LISTED_SECTIONS} == {"postlist", "posts-item"}
    assert sample.listing("tag")
    related = [r for a in articles for r in a.related]
    assert {"plain", "tw", "amp"} == {variant for _, variant in related}
    assert any(sample.articles[rid].section != a.section for a in articles for rid, _ in a.related)


def test_site_has_the_template_variety_extraction_must_handle(sample):
    articles = [sample.articles[a] for a in sample.public_ids]
    postmeat_only = [a for a in articles if a.postmeat and not a.published_time]
    assert any(" " in a.postmeat for a in postmeat_only)  # date and time, no article:published_time
    assert any(" " not in a.postmeat for a in postmeat_only)  # the date alone
    assert any(a.postmeat and a.published_time for a in articles)  # both: published_time wins
    kinds = {a.canonical_kind for a in articles if a.canonical}
    assert {"self", "real_host", "other_section"} <= kinds
    assert any(a.relative_links for a in articles)
    assert any(a.image and a.image["src"].startswith("/") for a in articles)
    assert len({a.disclaimer for a in articles if a.disclaimer}) >= 4


def test_article_page_shows_its_postmeat_line_and_canonical_link(sample):
    article = next(a for a in map(sample.articles.get, sample.public_ids) if a.postmeat and not a.published_time)
    body = fetch(sample, article.path(traditional=article.kind == "tw_only"))[1]
    assert f'<div class="postmeat ac">{article.postmeat} ' in body
    assert "article:published_time" not in body
    moved = next(
        a for a in map(sample.articles.get, sample.public_ids) if a.canonical and a.canonical_kind == "real_host"
    )
    body = fetch(sample, moved.path(traditional=moved.kind == "tw_only"))[1]
    assert '<link rel="canonical" href="https://www.bannedbook.org/bnews/' in body


@pytest.mark.parametrize("section", [s for s, _ in LISTED_SECTIONS] + ["tag"])
def test_every_listing_paginates_and_carries_ads(sample, section):
    path = listing_path(section, 1, 0)
    status, body = fetch(sample, path)
    assert status == 200
    assert "banner-ads" in body and "adsbygoogle" in body and "wp-pagenavi" in body and 'class="texttj"' in body
    assert fetch(sample, listing_path(section, 2, 0))[0] == 200
    assert fetch(sample, listing_path(section, 99, 0))[0] == 404


def test_each_article_exists_in_three_views(sample):
    for article_id in sample.public_ids[:40]:
        article = sample.articles[article_id]
        simplified, traditional, amp = (
            fetch(sample, article.path()),
            fetch(sample, article.path(traditional=True)),
            fetch(sample, article.path(traditional=article.kind == "tw_only", amp=True)),
        )
        assert traditional[0] == 200 and amp[0] == 200
        assert simplified[0] == (404 if article.kind == "tw_only" else 200)
        assert 'lang="zh-TW"' in traditional[1] and "相關閱讀" in traditional[1]
        assert "<html amp" in amp[1]
        page = traditional[1] if article.kind == "tw_only" else simplified[1]
        assert 'class="texttj"' in page and "banner-ads" in page and 'class="notice"' in page


def test_robots_txt_disallows_a_path_a_listing_links_into(sample):
    status, robots = fetch(sample, "/robots.txt")
    assert status == 200 and "Disallow: /bnews/members/" in robots
    assert "/bnews/members/" in fetch(sample, "/bnews/worldnews/")[1]


# Each template's records and pages: the spider that reads it, and its matter no record may hold.
READERS = {"bannedbook": (BannedbookSpider, NON_ARTICLE_MARKERS), "rfi": (RfiSpider, RFI_NON_ARTICLE_MARKERS)}


@pytest.fixture(scope="module", params=sorted(READERS))
def each_sample(request: pytest.FixtureRequest) -> SampleSite:
    return SampleSite(site=request.param)


def test_expected_records_validate_against_the_schema(each_sample):
    validator = Draft202012Validator(load_schema())
    for record in each_sample.expected_records(BASE).values():
        record = {
            **record,
            "articleBodyHtml": "<p>x</p>",
            "metadata": {**record["metadata"], "dateDownloaded": "2024-01-01T00:00:00Z"},
        }
        assert not list(validator.iter_errors(record)), record["articleId"]


@pytest.mark.parametrize("traditional", [False, True], ids=["simplified", "traditional"])
def test_extraction_matches_every_expected_record(each_sample, traditional):
    spider, markers = READERS[each_sample.spider]
    crawler = project_crawler(spider)
    for article_id in each_sample.public_ids:
        expected = each_sample.expected_record(article_id, BASE, traditional=traditional)
        status, body = fetch(each_sample, expected["url"][len(BASE) :])
        assert status == 200
        response = HtmlResponse(url=expected["url"], body=body.encode("utf-8"), encoding="utf-8")
        record = without_download_time(extract(response, crawler, site=spider.site))
        html = record.pop("articleBodyHtml")
        expected.pop("articleBodyHtml")
        assert record == expected, article_id
        for marker in markers:
            assert marker not in html, (article_id, marker)
        assert "<p></p>" not in html and "margin-bottom" not in html  # blocks the stripping emptied
        links = re.findall(r'(?:href|src)="([^"]*)"', html)
        assert all(link.startswith(("http://", "https://")) for link in links), (article_id, links)


def test_relative_image_and_links_are_absolute_in_the_html(sample):
    article = next(
        a
        for a in map(sample.articles.get, sample.public_ids)
        if a.relative_links and a.image and a.image["src"].startswith("/") and a.kind != "tw_only"
    )
    page = fetch(sample, article.path())[1]
    assert f'<img src="{article.image["src"]}"' in page and 'rel="tag"' in page and 'href="/bnews/tag/' in page
    response = HtmlResponse(url=BASE + article.path(), body=page.encode("utf-8"), encoding="utf-8")
    record = extract(response)
    assert f'<img src="{BASE}{article.image["src"]}"' in record["articleBodyHtml"]
    assert record["images"][0]["url"] == BASE + article.image["src"]
    assert f'href="{BASE}/bnews/tag/' in record["articleBodyHtml"]
