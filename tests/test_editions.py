"""One record per article where each edition has its own URL and id (RFI's /cn/ and /tw/ slugs):
a crawl keeps the edition it starts in, reads a page of the other edition in its own when the page
names it, and keeps the other edition's page only when its own fails. The crawl-level proof is
test_discovery_crawl's sitemap-started archive crawl for rfi, whose traditional-only articles'
related lists link the traditional pages of articles the sitemaps list in the simplified edition."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsspider.extensions import CrawlState
from newsspider.samplesite.generator import SampleSite
from newsspider.sites.bannedbook import SITE as BANNEDBOOK
from newsspider.sites.rfi import SITE as RFI
from newsspider.spiders.editions import EDITION_KEPT
from newsspider.spiders.rfi import RfiSpider
from newsspider.state import SqliteStateStore, StateChanges
from tests.conftest import PROJECT, project_crawler

BASE = "http://127.0.0.1:8000"
CORPUS = PROJECT.parent / "shared" / "corpus" / "rfi"
# The real article's URL and the traditional page its <link rel="alternate" hreflang="zh-Hant"> names,
# both read off article-t-dome-20251130.html.
REAL_URL = (
    "https://www.rfi.fr/cn/%E6%94%BF%E6%B2%BB/20251130-%E5%8F%B0%E6%B9%BE%E5%A2%9E%E5%8A%A0400%E4%BA%BF%E7%BE%8E%E5%85%83"
    "%E5%9B%BD%E9%98%B2%E5%BC%80%E6%94%AF-%E5%8A%A0%E9%80%9F%E9%83%A8%E7%BD%B2t-dome%E9%98%B2%E7%A9%BA%E7%B3%BB%E7%BB%9F"
)
REAL_TW = (
    "https://www.rfi.fr/tw/%E6%94%BF%E6%B2%BB/20251130-%E5%8F%B0%E7%81%A3%E5%A2%9E%E5%8A%A0400%E5%84%84%E7%BE%8E%E5%85%83"
    "%E5%9C%8B%E9%98%B2%E9%96%8B%E6%94%AF-%E5%8A%A0%E9%80%9F%E9%83%A8%E7%BD%B2t-dome%E9%98%B2%E7%A9%BA%E7%B3%BB%E7%B5%B1"
)


@pytest.fixture(scope="module")
def sample() -> SampleSite:
    return SampleSite(site="rfi")


def spider(start: str = BASE + "/cn/", **settings) -> RfiSpider:
    return RfiSpider.from_crawler(project_crawler(RfiSpider, **settings), start_urls=start)


def page(sample: SampleSite, article_id: str, traditional: bool, meta: dict | None = None) -> HtmlResponse:
    path = sample.articles[article_id].path(traditional=traditional)
    status, _, body = sample.render(path, BASE)
    assert status == 200, path
    request = Request(BASE + path, meta={"via": "related", "depth_hops": 1, **(meta or {})})
    return HtmlResponse(url=request.url, body=body.encode("utf-8"), encoding="utf-8", request=request)


def both_editions(sample: SampleSite) -> str:
    return next(a for a in sample.public_ids if sample.articles[a].kind == "listed")


def test_a_traditional_page_naming_its_simplified_page_is_read_there_instead(sample: SampleSite) -> None:
    crawl = spider()
    article = sample.articles[both_editions(sample)]
    output = list(crawl.parse_article(page(sample, article.article_id, traditional=True)))
    assert [type(o) for o in output] == [Request]  # no record from the other edition's page
    assert output[0].url == BASE + article.path() and output[0].meta["depth_hops"] == 1
    assert RFI.parse_article_url(output[0].url).article_id == article.article_id
    assert crawl.crawler.stats.get_value("newsspider/pages/other_edition") == 1
    # Its simplified page gives the record, with the related links of its own edition.
    (item, *related) = crawl.parse_article(page(sample, article.article_id, traditional=False))
    assert item.articleId == article.article_id and item.url == BASE + article.path()
    assert all(r.url.startswith(BASE + "/cn/") for r in related)


def test_a_page_of_the_crawls_own_edition_or_naming_none_gives_its_record(sample: SampleSite) -> None:
    tw_only = next(a for a in sample.public_ids if sample.articles[a].kind == "tw_only")
    (item, *_) = spider().parse_article(page(sample, tw_only, traditional=True))
    assert item.articleId == tw_only and "/tw/" in item.url
    # A crawl started in the traditional edition keeps it: its pages give records there.
    article = both_editions(sample)
    (item, *_) = spider(BASE + "/tw/").parse_article(page(sample, article, traditional=True))
    assert item.articleId == sample.articles[article].article_id_in(1)


def test_a_crawl_started_in_the_traditional_edition_reads_the_real_simplified_page_there() -> None:
    body = (CORPUS / "article-t-dome-20251130.html").read_bytes()
    request = Request(REAL_URL, meta={"via": "listing", "depth_hops": 0})
    response = HtmlResponse(url=REAL_URL, body=body, encoding="utf-8", request=request)
    crawl = spider("https://www.rfi.fr/tw/")
    assert [r.url for r in crawl.parse_article(response)] == [REAL_TW]
    (item, *_) = spider("https://www.rfi.fr/cn/").parse_article(response)  # the simplified crawl's own page
    assert item.url == REAL_URL


def test_the_other_editions_page_is_kept_when_its_home_page_fails(sample: SampleSite) -> None:
    crawl = spider()
    article = sample.articles[both_editions(sample)]
    (home,) = crawl.parse_article(page(sample, article.article_id, traditional=True))
    failure = Failure(HttpError(HtmlResponse(url=home.url, status=404, body=b"", request=home)))
    failure.request = home
    (kept,) = crawl.article_failed(failure)
    assert kept.url == BASE + article.path(traditional=True)
    assert kept.meta[EDITION_KEPT] and kept.dont_filter  # its id was requested: a filter must let it through
    (item, *_) = crawl.parse_article(page(sample, article.article_id, traditional=True, meta=kept.meta))
    assert item.articleId == article.article_id_in(1)  # the article, once, under the page's own id
    assert crawl.crawler.stats.get_value("newsspider/requests/article/other_edition_kept") == 1
    assert crawl.crawler.stats.get_value("newsspider/articles/unreachable") is None
    # Once taken, the fallback is gone: the same failure again is an unreachable article.
    assert list(crawl.article_failed(failure)) == []
    assert crawl.crawler.stats.get_value("newsspider/articles/unreachable") == 1


def test_a_page_naming_a_home_page_that_already_failed_is_kept(sample: SampleSite) -> None:
    crawl = spider()
    article = sample.articles[both_editions(sample)]
    home = Request(BASE + article.path(), meta={"via": "sitemap", "depth_hops": 0})
    failure = Failure(HttpError(HtmlResponse(url=home.url, status=404, body=b"", request=home)))
    failure.request = home
    assert list(crawl.article_failed(failure)) == []  # given up: no page of the other edition named it yet
    (item, *_) = crawl.parse_article(page(sample, article.article_id, traditional=True))
    assert item.articleId == article.article_id_in(1)


def test_no_fallback_is_left_once_the_home_page_gave_its_record(sample: SampleSite) -> None:
    crawl = spider()
    article = sample.articles[both_editions(sample)]
    (home,) = crawl.parse_article(page(sample, article.article_id, traditional=True))
    list(crawl.parse_article(page(sample, article.article_id, traditional=False)))
    failure = Failure(HttpError(HtmlResponse(url=home.url, status=404, body=b"", request=home)))
    failure.request = home
    assert list(crawl.article_failed(failure)) == []


def test_the_frontier_trades_the_other_editions_link_for_the_home_page(sample: SampleSite, tmp_path) -> None:
    article = sample.articles[both_editions(sample)]
    tw_id, tw_url = article.article_id_in(1), BASE + article.path(traditional=True)
    store = SqliteStateStore(tmp_path / "s.sqlite3")
    store.apply("rfi", StateChanges({}, {}, {tw_id: tw_url}), "2024-01-01T00:00:00.000000Z")
    store.close()
    crawler = project_crawler(
        RfiSpider, NEWSSPIDER_STATE_ENABLED=True, NEWSSPIDER_STATE_URI=f"sqlite:///{tmp_path}/s.sqlite3"
    )
    crawl = RfiSpider.from_crawler(crawler, start_urls=BASE + "/cn/")
    crawl.crawl_state = crawler.get_extension(CrawlState)
    list(crawl.parse_article(page(sample, article.article_id, traditional=True)))
    # A run killed now fetches the simplified page next time, and the traditional one no more.
    assert crawl.crawl_state.frontier() == {article.article_id: BASE + article.path()}
    crawl.crawl_state.store.close()


def test_a_site_whose_editions_share_the_id_names_no_other_edition() -> None:
    # bannedbook's editions share the article id: its traditional pages are its own articles.
    assert BANNEDBOOK.edition_links is None
    html = b'<html><head><link rel="alternate" hreflang="zh-Hans" href="/bnews/a/20240101/2.html"></head></html>'
    url = "https://www.bannedbook.org/bnews/zh-tw/a/20240101/1.html"
    assert BANNEDBOOK.home_edition(HtmlResponse(url=url, body=html, encoding="utf-8"), url) is None
    assert RFI.is_traditional("https://www.rfi.fr/tw/") and not RFI.is_traditional("https://www.rfi.fr/cn/rss")


def test_reextraction_keeps_the_other_editions_record_only_when_its_home_page_gave_none() -> None:
    from collections import Counter

    from newsspider.archive.editions import Editions

    editions, counts = Editions(RFI), Counter({"records": 3})
    assert editions.take({"articleId": "20240101-a"}, None)  # a simplified page: written at once
    assert not editions.take({"articleId": "20240101-甲"}, "20240101-a")  # its traditional page waits
    assert not editions.take({"articleId": "20240102-乙"}, "20240102-b")  # its simplified page gave nothing
    assert [r["articleId"] for r in editions.kept(counts)] == ["20240102-乙"]
    assert counts == Counter({"records": 2, "skipped/other_edition": 1})


def stateful(tmp_path, frontier: dict[str, str] | None = None) -> RfiSpider:
    """The rfi spider with a SQLite crawl state whose frontier holds ``frontier``."""
    store = SqliteStateStore(tmp_path / "s.sqlite3")
    store.apply("rfi", StateChanges({}, {}, frontier or {}), "2024-01-01T00:00:00.000000Z")
    store.close()
    uri = f"sqlite:///{tmp_path}/s.sqlite3"
    crawler = project_crawler(RfiSpider, NEWSSPIDER_STATE_ENABLED=True, NEWSSPIDER_STATE_URI=uri)
    crawl = RfiSpider.from_crawler(crawler, start_urls=BASE + "/cn/")
    crawl.crawl_state = crawler.get_extension(CrawlState)
    return crawl


def test_a_kept_page_of_the_other_edition_takes_its_home_pages_place_in_the_frontier(sample, tmp_path) -> None:
    article = sample.articles[both_editions(sample)]
    tw_id, tw_url = article.article_id_in(1), BASE + article.path(traditional=True)
    crawl = stateful(tmp_path)
    (home,) = crawl.parse_article(page(sample, article.article_id, traditional=True))
    failure = Failure(HttpError(HtmlResponse(url=home.url, status=404, body=b"", request=home)))
    failure.request = home
    (kept,) = crawl.article_failed(failure)
    assert kept.url == tw_url
    # Until it is emitted, the article is the traditional page's to fetch; the failed page is no more.
    assert crawl.crawl_state.frontier() == {tw_id: tw_url}
    crawl.crawl_state.store.close()


def test_which_edition_is_home_and_what_names_it() -> None:
    # The same date and slug under the other edition's path is the same id: nothing to read instead.
    url = BASE + "/tw/政治/20251130-t-dome"
    html = f'<html><head><link rel="alternate" hreflang="zh-Hans" href="{BASE}/cn/政治/20251130-t-dome"></head></html>'
    assert RFI.home_edition(HtmlResponse(url=url, body=html.encode(), encoding="utf-8"), url) is None
    # Only a crawl all of whose start URLs are traditional keeps the traditional edition.
    assert spider(BASE + "/tw/").traditional_home and not spider(f"{BASE}/cn/,{BASE}/tw/").traditional_home


def test_the_report_counts_both_outcomes() -> None:
    from newsspider.extensions.summary import build_report

    stats = {"newsspider/pages/other_edition": 3, "newsspider/requests/article/other_edition_kept": 1}
    run = {"spider": "rfi", "run_id": "r", "job": None, "started": "", "ended": "", "reason": "finished", "feeds": []}
    assert build_report(stats, **run)["editions"] == {"readInHomeEdition": 3, "otherEditionKept": 1}


def test_a_later_run_does_not_fetch_again_a_page_an_earlier_one_read_in_the_home_edition(sample, tmp_path) -> None:
    from newsspider.state import Emission

    article = sample.articles[both_editions(sample)]
    tw_id, tw_url = article.article_id_in(1), BASE + article.path(traditional=True)
    first = stateful(tmp_path, {tw_id: tw_url})
    list(first.parse_article(page(sample, article.article_id, traditional=True)))  # read in /cn/ instead
    first.crawl_state.store.close()
    # The /cn/ page is not held yet (its record was never written): the /tw/ link is followed again.
    again = stateful(tmp_path)
    assert [r.url for r in again._follow_article(tw_url, "related", 1)] == [tw_url]
    again.crawl_state.store.close()
    # Once it is held, a later run meeting the /tw/ link asks for nothing.
    store = SqliteStateStore(tmp_path / "s.sqlite3")
    held = Emission(article.article_id, BASE + article.path(), "sha256:" + "a" * 64, 1)
    store.apply("rfi", StateChanges({article.article_id: held}, {}, {}), "2024-01-02T00:00:00.000000Z")
    store.close()
    later = stateful(tmp_path)
    assert list(later._follow_article(tw_url, "sitemap", 0)) == []
    assert later.crawler.stats.get_value("newsspider/links/other_edition_held") == 1
    later.crawl_state.store.close()
