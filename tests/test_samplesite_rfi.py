"""The sample site as RFI Chinese (``SampleSite(site="rfi")``, ``serve --site rfi``): its pages hold
what the real ones do and the rfi spider's extraction gives every record the model expects (a real
``scrapy crawl rfi`` is tests/test_crawl.py's, run for each site)."""

from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from scrapy.http import HtmlResponse

from newsspider.pipelines import load_schema
from newsspider.samplesite.generator import SampleSite
from newsspider.sites.rfi import SITE as RFI
from newsspider.spiders.rfi import RfiSpider
from tests.conftest import project_crawler
from tests.helpers import extract, without_download_time

BASE = "http://127.0.0.1:8000"
# Matter of the page inside the article wrapper that no record may hold.
NON_ARTICLE = (
    "广告",
    "继续浏览后续",
    "电邮新闻",
    "订阅",
    "下载法广应用程序",
    "分享 :",
    "发表时间",
    "作者：",
    "<script",
)


@pytest.fixture(scope="module")
def sample():
    return SampleSite(site="rfi")


def fetch(sample, path):
    status, _, body = sample.render(path, BASE)
    return status, body


def test_the_rfi_site_has_the_variety_extraction_must_handle(sample):
    articles = [sample.articles[a] for a in sample.public_ids]
    assert SampleSite(site="rfi").expected_records(BASE) == sample.expected_records(BASE)
    assert {0, 1, 2} == {len(a.authors) for a in articles}
    assert any(a.image and a.image["credit"] for a in articles) and any(not a.image for a in articles)
    assert any(a.image and not a.image["credit"] for a in articles)
    assert any("/" in a.section for a in articles) and any(a.subheadings for a in articles)
    assert any(a.links_itself for a in articles) and any(a.tags for a in articles)
    assert {"plain", "query", "tw"} == {variant for a in articles for _, variant in a.related}
    assert len({a.article_id for a in articles}) == len(articles)


def test_article_pages_carry_the_real_markup_in_both_editions(sample):
    article = next(a for a in map(sample.articles.get, sample.public_ids) if a.kind == "listed" and a.tags)
    status, page = fetch(sample, article.path())
    assert status == 200 and '<html dir="ltr" lang="zh-Hans">' in page
    for marker in ("t-content__chapo", "m-interstitial", "o-self-promo", "o-aside-content--related", "a-hot-tag"):
        assert marker in page
    assert f'hreflang="zh-Hant" href="{BASE}{article.path(traditional=True)}"' in page
    assert 'id="datalayer"' in page and '"@type": "NewsArticle"' in page
    status, traditional = fetch(sample, article.path(traditional=True))
    assert status == 200 and 'lang="zh-Hant"' in traditional
    assert f'hreflang="zh-Hans" href="{BASE}{article.path()}"' in traditional


def test_only_articles_parse_as_articles_and_tw_only_ones_are_not_in_cn(sample):
    tw_only = next(a for a in sample.articles.values() if a.kind == "tw_only")
    assert fetch(sample, tw_only.path())[0] == 404 and fetch(sample, tw_only.path(traditional=True))[0] == 200
    for path in ("/cn/直播", "/cn/再次收听/", "/cn/作者/王丹/", "/cn/关键词/香港/"):
        assert fetch(sample, quote(path))[0] == 200 and RFI.parse_article_url(BASE + quote(path)) is None
    for article in sample.articles.values():
        parsed = RFI.parse_article_url(BASE + article.path(traditional=article.kind == "tw_only"))
        assert parsed is not None and parsed.article_id == article.article_id


def test_discovery_pages_list_the_articles(sample):
    robots = fetch(sample, "/robots.txt")[1]
    disallowed = next(a for a in sample.articles.values() if a.kind == "disallowed")
    assert f"Disallow: {quote('/cn/预览/')}" in robots and "Sitemap: " in robots
    assert disallowed.path() in fetch(sample, quote("/cn/政治/"))[1]
    assert '<link rel="next"' in fetch(sample, quote("/cn/政治/"))[1]
    assert fetch(sample, quote("/cn/政治/") + "?page=99")[0] == 404
    sitemaps = "".join(str(sample.render(path, BASE)[2]) for path in sample.sitemap_paths() if not path.endswith(".gz"))
    assert sitemaps.count("<url>") == sum(len(sample.sitemap_chunk(n)) for n in range(0, sample.sitemap_count(), 2))
    assert fetch(sample, "/cn/rss")[1].count("<item>") == 20
    assert fetch(sample, quote("/cn/国际/atom"))[1].count("<entry>") == 20


def test_expected_records_validate_against_the_schema(sample):
    validator = Draft202012Validator(load_schema())
    for record in sample.expected_records(BASE).values():
        record = {
            **record,
            "articleBodyHtml": "<p>x</p>",
            "metadata": {**record["metadata"], "dateDownloaded": "2024-01-01T00:00:00Z"},
        }
        assert not list(validator.iter_errors(record)), record["articleId"]


@pytest.mark.parametrize("traditional", [False, True], ids=["zh-Hans", "zh-Hant"])
def test_extraction_matches_every_expected_record(sample, traditional):
    crawler = project_crawler(RfiSpider)
    for article_id in sample.public_ids:
        expected = sample.expected_record(article_id, BASE, traditional=traditional)
        status, body = fetch(sample, expected["url"][len(BASE) :])
        assert status == 200
        response = HtmlResponse(url=expected["url"], body=body.encode("utf-8"), encoding="utf-8")
        record = without_download_time(extract(response, crawler, site=RFI))
        html = record.pop("articleBodyHtml")
        expected.pop("articleBodyHtml")
        assert record == expected, article_id
        for marker in NON_ARTICLE:
            assert marker not in html, (article_id, marker)
