"""RFI Chinese's site file on the two real pages in ``../shared/corpus/rfi/`` (see its README).

``fixtures/rfi/*.expected.json`` are hand-checked: every value was read off the saved HTML by a
reader who ran none of our code. The article's file writes the body as its list of lines and keeps
the related list exactly as the page has it, whose first entry is the article itself: a record's
``relatedArticles`` leaves that one out (a link to itself relates nothing).
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
from scrapy.http import HtmlResponse

from newsspider.sites.rfi import SITE as RFI
from newsspider.spiders.rfi import RfiSpider
from tests.conftest import FIXTURES, PROJECT, project_crawler
from tests.helpers import extract, without_download_time

CORPUS = PROJECT.parent / "shared" / "corpus" / "rfi"
ARTICLE = "article-t-dome-20251130"
FRONT_PAGE = "front-page-20251130"
# Text of the page's non-article matter inside the article wrapper: none of it may reach a record.
NON_ARTICLE = (
    "广告",  # the ad interstitial's label
    "继续浏览后续",  # its unlock button
    "举报广告",
    "m-block-ad",
    "m-interstitial",
    "电邮新闻",  # the newsletter self-promotion
    "头条新闻就在您的每日新闻信里",
    "订阅",
    "下载法广应用程序",  # the app self-promotion
    "o-self-promo",
    "分享 :",  # the share bar
    "发表时间",  # the date line, read as datePublished
    "浏览时间",
    "作者：",  # the byline, read as authors
    "台海局势",  # the section label
    "<script",
    "<svg",
)


def expected(name: str) -> dict:
    return json.loads((FIXTURES / "rfi" / f"{name}.expected.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def crawler():
    return project_crawler(RfiSpider)


@pytest.fixture(scope="module")
def record(crawler) -> dict:
    url = expected(ARTICLE)["url"]
    response = HtmlResponse(url=url, body=(CORPUS / f"{ARTICLE}.html").read_bytes(), encoding="utf-8")
    return extract(response, crawler, site=RFI)


def test_the_article_record_is_the_hand_checked_one(record: dict) -> None:
    read = expected(ARTICLE)
    body = "\n".join(read["articleBodyLines"])
    # The record's own order: the fields read off the page up to description, then the body...
    head = [
        key for key in read if key not in ("dateModified", "articleBodyLines", "images", "relatedArticles", "jsonld")
    ]
    want = {
        **{key: read[key] for key in head},
        "articleBody": body,
        "articleBodyHtml": record["articleBodyHtml"],  # checked by its lines below
        "images": read["images"],
        "relatedArticles": read["relatedArticles"][1:],
        "metadata": {
            "dateDownloaded": None,
            "spider": "rfi",
            "contentHash": "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest(),
            "schemaVersion": "1.5.0",
            "version": None,
            "previousHash": None,
        },
        "site": "www.rfi.fr",
        "dateModified": read["dateModified"],  # ...and what 1.4.0 and 1.5.0 added, at the end
        "extraction": "site",
    }
    assert read["relatedArticles"][0]["articleId"] == read["articleId"]
    assert without_download_time(record) == want
    assert list(record) == list(want)


def test_the_page_id_is_the_url_date_and_slug_whatever_the_section_path() -> None:
    read = expected(ARTICLE)
    parsed = RFI.parse_article_url(read["url"])
    assert parsed is not None and parsed.article_id == read["articleId"] and parsed.section == read["section"]
    # The same article listed under a programme's path (the front page links both): one id.
    slug = urlsplit(read["url"]).path.rsplit("/", 1)[1]
    elsewhere = RFI.parse_article_url(f"https://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/x/{slug}?xtor=RSS")
    assert elsewhere is not None and elsewhere.article_id == read["articleId"]
    # The other edition's slug is not derivable: no fallback URL is made up for it, and a link to
    # the traditional edition is fetched as linked.
    assert RFI.article_url(read["url"], traditional=True) is None
    traditional = "https://www.rfi.fr/tw/%E6%94%BF%E6%B2%BB/20251130-%E5%8F%B0%E7%81%A3"
    assert RFI.article_url(traditional + "?xtor=RSS-1") == traditional
    assert RFI.article_url(read["url"] + "?utm_source=x#top") == read["url"]


def test_the_body_holds_the_article_lines_and_no_ads_promos_or_header(record: dict) -> None:
    root = lxml.html.fragment_fromstring(record["articleBodyHtml"], create_parent="div")
    blocks = [" ".join(e.text_content().split()) for e in root.iter("p", "h2", "figcaption")]
    assert blocks == expected(ARTICLE)["articleBodyLines"]
    for gone in NON_ARTICLE:
        assert gone not in record["articleBodyHtml"], gone
        assert gone not in record["articleBody"], gone


def test_cleaning_counts_what_it_stripped_by_kind(crawler, record: dict) -> None:
    stats = crawler.stats.get_stats()
    # One interstitial (holding the ad block), two self-promotions (newsletter, app), one share bar,
    # and the four header parts (section label, title, date line, byline).
    assert stats["newsspider/clean/stripped/ads"] == 1
    assert stats["newsspider/clean/stripped/promo"] == 2
    assert stats["newsspider/clean/stripped/share"] == 1
    assert stats["newsspider/clean/stripped/header"] == 4


def test_front_page_links_are_read_as_the_page_shows_them() -> None:
    read = expected(FRONT_PAGE)
    page = (CORPUS / f"{FRONT_PAGE}.html").read_bytes()
    response = HtmlResponse(url="https://www.rfi.fr/cn/", body=page, encoding="utf-8")
    listed = {
        response.urljoin(href) for selector in RFI.listing_article_links for href in response.css(selector).getall()
    }
    articles = {url for url in listed if RFI.parse_article_url(url)}
    assert set(read["articleLinks"]) <= articles
    assert articles <= {*read["articleLinks"], *read["newsFeedArticleLinks"], *read["programEpisodeLinks"]}
    for url in [*read["articleLinks"], *read["newsFeedArticleLinks"], *read["programEpisodeLinks"]]:
        parsed = RFI.parse_article_url(url)
        last = unquote(urlsplit(url).path).rsplit("/", 1)[1]
        assert parsed is not None and parsed.article_id == last.lower() and not parsed.traditional, url
    for href in [*read["notArticles"], *read["sectionLinks"]]:
        assert RFI.parse_article_url(response.urljoin(href)) is None, href
    assert RFI.feed_url("https://www.rfi.fr/cn/") == "https://www.rfi.fr/cn/rss"  # the feed the head advertises
    assert RFI.start_kind("https://www.rfi.fr/cn/rss") == "feed"


def test_sitemaps_of_other_languages_and_of_no_articles_are_skipped() -> None:
    skipped = ("/fr/sitemap.xml", "/en/sitemaps/articles-2025.xml.gz", "/pt-br/sitemap.xml")
    assert all(RFI.sitemap_skip_re.search(path) for path in skipped)
    assert RFI.sitemap_skip_re.search("/cn/sitemap-keywords.xml")  # keyword pages: no article
    kept = ("/sitemap.xml", "/cn/sitemap-articles-1.xml.gz", "/tw/sitemap-articles-2.xml")
    assert not any(RFI.sitemap_skip_re.search(path) for path in kept)


def test_the_docs_show_the_whole_site_file() -> None:
    readme = (PROJECT / "docs" / "sites.md").read_text("utf-8")
    shown = readme.split("<!-- rfi.py -->\n```python\n", 1)[1].split("```\n<!-- /rfi.py -->", 1)[0]
    assert shown == (PROJECT / "newsspider" / "sites" / "rfi.py").read_text("utf-8")
