"""The loader and cleaning on the real article fragment of the site.

`fixtures/article-fragment.expected.json` is hand-checked: every value in it was read off
`fixtures/article-fragment.html` by a person, not copied from the code's output. `articleBody` is
written there as its list of paragraphs; the content hash and the cleaned HTML are left out (null):
the hash is derived here from the expected text, and the HTML is checked by its paragraphs and by
what it must and must not hold.
"""

import dataclasses
import hashlib
import json

import lxml.html
import pytest
from scrapy.http import HtmlResponse

from newsspider.loaders import load_article
from newsspider.sites.bannedbook import SITE as BANNEDBOOK
from tests.conftest import FIXTURES, html_response
from tests.helpers import NON_ARTICLE_MARKERS, extract, without_download_time

# The fragment's own URL is not known (see shared/corpus/README.md); this one has the real form.
FRAGMENT_URL = "https://www.bannedbook.org/bnews/worldnews/20240621/2052600.html"


@pytest.fixture(scope="module")
def record():
    return extract(html_response("article-fragment.html", FRAGMENT_URL))


@pytest.fixture(scope="module")
def expected():
    return json.loads((FIXTURES / "article-fragment.expected.json").read_text("utf-8"))


def test_fragment_record_is_the_hand_checked_one(record, expected):
    body = "\n".join(expected["articleBody"])
    want = {**expected, "articleBody": body, "articleBodyHtml": record["articleBodyHtml"]}
    want["metadata"] = {
        **expected["metadata"],
        "contentHash": "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest(),
    }
    assert without_download_time(record) == want
    assert list(record) == list(expected)  # key order is part of the contract


def test_fragment_body_html_holds_the_paragraphs_and_nothing_else(record, expected):
    body_html = record["articleBodyHtml"]
    root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    paragraphs = [" ".join(p.text_content().split()) for p in root.iter("p")]
    assert paragraphs == expected["articleBody"]
    assert body_html.count('rel="tag"') == 9  # the tag links stay in place in the text
    assert "<p></p>" not in body_html  # the page's empty paragraph
    assert "margin-bottom" not in body_html  # the wrapper the ad slots left empty
    for gone in ("張柏源", "新头壳", "法国犹太老板", "相关阅读", "<!--"):
        assert gone not in body_html, gone


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
        "articleId": "2052419",
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
    item = load_article(html_response("article-fragment.html", FRAGMENT_URL), BANNEDBOOK)
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
    item = load_article(response, BANNEDBOOK)
    assert item.authors == []
    assert item.headline == "後備標題"  # no <h2>: og:title without the site name
    assert item.inLanguage == "zh-TW"
    assert item.section == "renquan/minyun"
    assert item.datePublished == "2024-06-20T10:00:00+08:00"
    assert item.datePublishedRaw == "2024-06-20T10:00:00+08:00"
    assert item.description == "摘要"


def test_loader_returns_none_off_article_urls():
    assert (
        load_article(html_response("listing-tag-2020.html", "https://www.bannedbook.org/bnews/tag/x/"), BANNEDBOOK)
        is None
    )


def article_page(
    head: str = "", before_entry: str = "", entry: str = "<p>正文。</p>", after_entry: str = ""
) -> HtmlResponse:
    """An article page of the old template: title, postmeat line and notice beside the entry."""
    page = (
        f"<html><head>{head}</head><body><div id='center'><div class='col'><h2>标题</h2>{before_entry}"
        f"<p class='notice'>大陆网友注意</p><div class='entry'>{entry}</div>{after_entry}</div>"
        "<div class='sidebar'><div class='postmeat ac'>2020年01月01日 08:00</div></div></div></body></html>"
    )
    url = "https://www.bannedbook.org/bnews/worldnews/20240709/123.html"
    return HtmlResponse(url=url, body=page.encode("utf-8"), encoding="utf-8")


POSTMEAT = "<div class='postmeat ac'>{} <a href='/bnews/worldnews/' rel='category tag'>国际新闻</a></div>"
PUBLISHED = "<meta property='article:published_time' content='{}'>"


@pytest.mark.parametrize(
    ("head", "before_entry", "date", "raw"),
    [
        # No published_time: the postmeat date and time, in the site's offset.
        ("", POSTMEAT.format("2024年07月08日 14:30"), "2024-07-08T14:30:00+08:00", "2024年07月08日 14:30"),
        ("", POSTMEAT.format("日期： 2024年7月8日 9:05"), "2024-07-08T09:05:00+08:00", "2024年7月8日 9:05"),
        # The date alone still beats the URL's date (20240709).
        ("", POSTMEAT.format("2024年07月08日"), "2024-07-08", "2024年07月08日"),
        # article:published_time with an offset wins.
        (
            PUBLISHED.format("2024-07-08T14:31:07+08:00"),
            POSTMEAT.format("2024年07月08日 14:30"),
            "2024-07-08T14:31:07+08:00",
            "2024-07-08T14:31:07+08:00",
        ),
        # A published_time without an offset, or a date alone, loses to a postmeat time.
        (
            PUBLISHED.format("2024-07-08T14:31:07"),
            POSTMEAT.format("2024年07月08日 14:30"),
            "2024-07-08T14:30:00+08:00",
            "2024年07月08日 14:30",
        ),
        (
            PUBLISHED.format("2024-07-08"),
            POSTMEAT.format("2024年07月08日 14:30"),
            "2024-07-08T14:30:00+08:00",
            "2024年07月08日 14:30",
        ),
        # A listing's postmeat line, or none at all: the URL's date (the sidebar's line is not read).
        ("", "<div class='postmeat al'>日期：2024年07月08日 | 分类：国际</div>", "2024-07-09", "20240709"),
        ("", "", "2024-07-09", "20240709"),
        ("", POSTMEAT.format("分类：国际"), "2024-07-09", "20240709"),
    ],
)
def test_publication_date_precedence(head, before_entry, date, raw):
    item = load_article(article_page(head, before_entry), BANNEDBOOK)
    assert (item.datePublished, item.datePublishedRaw) == (date, raw)


def test_postmeat_line_after_the_entry_counts_too():
    item = load_article(article_page(after_entry=POSTMEAT.format("2024年07月08日 14:30")), BANNEDBOOK)
    assert item.datePublished == "2024-07-08T14:30:00+08:00"


def test_postmeat_offset_is_the_sites_zone():
    elsewhere = dataclasses.replace(BANNEDBOOK, local_utc_offset="+09:00")
    item = load_article(article_page(before_entry=POSTMEAT.format("2024年07月08日 14:30")), elsewhere)
    assert item.datePublished == "2024-07-08T14:30:00+09:00"


def test_related_entries_carry_the_article_id_or_null():
    links = [
        "/bnews/zh-tw/renquan/minyun/20240620/2052419.html/amp",  # mirror and AMP views: the same id
        "https://www.bannedbook.org/bnews/%77orldnews/20240620/2052420.html?utm_source=x",
        "/bnews/tag/%E4%BF%84%E7%BD%97%E6%96%AF/",  # a tag archive
        "https://github.com/bannedbook/fanqiang/wiki",
    ]
    items = "".join(f"<li><a href='{href}'>标题{n}</a></li>" for n, href in enumerate(links))
    entry = f"<p>正文。</p><ul class='op-related-articles' title='相关阅读'>{items}</ul>"
    item = load_article(article_page(entry=entry), BANNEDBOOK)
    assert [(r["headline"], r["articleId"]) for r in item.relatedArticles] == [
        ("标题0", "2052419"),
        ("标题1", "2052420"),
        ("标题2", None),
        ("标题3", None),
    ]
    assert list(item.relatedArticles[0]) == ["url", "headline", "articleId"]  # the new key comes last
    assert (
        item.relatedArticles[0]["url"]
        == "https://www.bannedbook.org/bnews/zh-tw/renquan/minyun/20240620/2052419.html/amp"
    )


def test_canonical_link_is_followed_and_resolved():
    item = load_article(article_page("<link rel='canonical' href='/bnews/headline/20240709/123.html'>"), BANNEDBOOK)
    assert item.canonicalUrl == "https://www.bannedbook.org/bnews/headline/20240709/123.html"
    assert load_article(article_page(), BANNEDBOOK).canonicalUrl == item.url
