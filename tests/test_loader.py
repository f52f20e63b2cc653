"""The loader and cleaning on the real article fragment of the site."""

import json

import pytest
from scrapy.http import HtmlResponse

from newsspider.loaders import load_article
from tests.conftest import FIXTURES, html_response
from tests.helpers import NON_ARTICLE_MARKERS, extract, without_download_time

# The fragment's own URL is not known (see shared/corpus/README.md); this one has the real form.
FRAGMENT_URL = "https://www.bannedbook.org/bnews/worldnews/20240621/2052600.html"


@pytest.fixture(scope="module")
def record():
    return extract(html_response("article-fragment.html", FRAGMENT_URL))


def test_fragment_record_is_exactly_the_expected_one(record):
    expected = json.loads((FIXTURES / "article-fragment.expected.json").read_text("utf-8"))
    assert without_download_time(record) == expected
    assert list(record) == list(expected)  # key order is part of the contract


def test_fragment_credits(record):
    assert record["authors"] == [{"name": "張柏源", "nameRaw": "作者： 張柏源"}]
    assert record["source"] == "新头壳"
    assert record["editor"] is None


def test_fragment_tags(record):
    assert record["tags"][:4] == ["俄罗斯", "普丁", "朝鲜", "金正恩"]
    assert {"北朝鲜", "乌克兰", "俄罗斯总统", "战略伙伴关系", "联合国"} <= set(record["tags"])
    assert "中国" not in record["tags"]  # wp_keywordlink_affiliate is a keyword link, not a tag
    assert len(record["tags"]) == len(set(record["tags"]))


def test_fragment_related_articles(record):
    related = record["relatedArticles"]
    assert len(related) == 5
    assert related[0] == {
        "url": "https://www.bannedbook.org/bnews/worldnews/20240620/2052419.html",
        "headline": "北韩与俄罗斯签全面战略伙伴关系条约！明列“遭侵略”将互相支援",
    }
    assert all(r["url"].startswith("https://www.bannedbook.org/bnews/") for r in related)
    assert not any("1850782" in r["url"] or "github.com" in r["url"] for r in related)


def test_fragment_body_is_clean(record):
    body, body_html = record["articleBody"], record["articleBodyHtml"]
    assert body.startswith("俄罗斯总统普丁与北朝鲜劳动党总书记")
    assert body.endswith("金正恩在平壤锦绣山迎宾馆举行大规模会谈。 图：翻摄朝中社")
    assert "中国、伊朗、北朝鲜 和俄罗斯" in body  # inline link words stay in the text
    assert len(body.splitlines()) == 8
    for marker in NON_ARTICLE_MARKERS:
        assert marker not in body, marker
        assert marker not in body_html, marker
    assert "法国犹太老板" not in body and "新头壳" not in body
    assert record["headline"] == "细节曝光！北朝鲜与俄罗斯签全面战略伙伴关系条约！明列“遭侵略”将互相支援"


def test_raw_loader_keeps_the_entry_for_the_cleaning_pipeline():
    item = load_article(html_response("article-fragment.html", FRAGMENT_URL), "bannedbook")
    assert 'class="texttj"' in item.articleBodyHtml  # stripping is the pipeline's job
    assert item.articleBody is None
    assert item.metadata["contentHash"] is None


def test_loader_is_not_fooled_by_the_meta_author_or_site_title():
    page = (
        "<html lang='zh-TW'><head><title>標題 - 中國禁聞網</title><meta name='author' content='編輯團隊'>"
        "<meta property='og:title' content='後備標題 - 中國禁聞網'>"
        "<meta property='article:published_time' content='2024-06-20T10:00:00+08:00'>"
        "<meta name='description' content=' 摘要 '></head><body><div class='entry'><p>正文。</p></div></body></html>"
    )
    response = HtmlResponse(
        url="https://www.bannedbook.org/bnews/zh-tw/renquan/minyun/20240620/123.html",
        body=page.encode("utf-8"),
        encoding="utf-8",
    )
    item = load_article(response, "bannedbook")
    assert item.authors == []
    assert item.headline == "後備標題"  # no <h2>: og:title without the site name
    assert item.inLanguage == "zh-TW"
    assert item.section == "renquan/minyun"
    assert item.datePublished == "2024-06-20T10:00:00+08:00"
    assert item.datePublishedRaw == "2024-06-20T10:00:00+08:00"
    assert item.description == "摘要"


def test_loader_returns_none_off_article_urls():
    assert load_article(html_response("listing-tag-2020.html", "https://www.bannedbook.org/bnews/tag/x/"), "b") is None
