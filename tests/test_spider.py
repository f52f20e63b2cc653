"""Crawling decisions of the bannedbook spider, on real and sample pages, without a network."""

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from newsspider.errors import BadInput
from newsspider.extensions import CrawlState
from newsspider.samplesite.generator import SampleSite
from newsspider.samplesite.templates.bannedbook_article import LISTED_SECTIONS, PAGE_SIZE
from newsspider.sites import bannedbook as site
from newsspider.spiders.bannedbook import BannedbookSpider
from newsspider.state import Emission, SqliteStateStore, StateChanges
from tests.conftest import html_response, project_crawler

LISTING_URL = "https://www.bannedbook.org/bnews/tag/%E8%B4%B8%E6%98%93%E6%88%98/"
BASE = "http://127.0.0.1:8000"


def make_spider(**kwargs) -> BannedbookSpider:
    return BannedbookSpider.from_crawler(project_crawler(), **kwargs)


def split(requests):
    requests = list(requests)
    articles = [r for r in requests if r.callback.__name__ == "parse_article"]
    listings = [r for r in requests if r.callback.__name__ == "parse_listing"]
    assert len(articles) + len(listings) == len(requests)
    return articles, listings


def test_real_listing_page_links():
    spider = make_spider()
    articles, listings = split(spider.parse_listing(html_response("listing-tag-2020.html", LISTING_URL)))
    assert len(articles) == 22
    assert articles[0].url == "https://www.bannedbook.org/bnews/cbnews/20200107/1254645.html"
    assert articles[-1].url == "https://www.bannedbook.org/bnews/comments/20200101/1251440.html"
    assert all(site.parse_article_url(r.url) for r in articles)
    # link[rel=next] has lower-case escapes, the pagenavi link upper-case ones: one canonical form.
    assert [r.url for r in listings] == ["https://www.bannedbook.org/bnews/tag/%E8%B4%B8%E6%98%93%E6%88%98/page/2/"]
    assert listings[0].cb_kwargs["page"] == 2
    urls = {r.url for r in articles + listings}
    # Ads, sidebars, menus and the language switch are never followed.
    assert not any("googlesyndication" in u or "/forum" in u or "zh-tw" in u or "fanqiang" in u for u in urls)
    assert spider.crawler.stats.get_value("newsspider/requests/article/listing") == 22


def test_old_template_pagination_without_link_rel_next():
    body = html_response("listing-tag-2020.html", LISTING_URL).text.replace('<link rel="next"', '<link rel="prev"')
    response = HtmlResponse(url=LISTING_URL, body=body.encode("utf-8"), encoding="utf-8")
    _, listings = split(make_spider().parse_listing(response))
    assert [r.url for r in listings] == ["https://www.bannedbook.org/bnews/tag/%E8%B4%B8%E6%98%93%E6%88%98/page/2/"]


@pytest.fixture(scope="module")
def sample():
    return SampleSite()


def sample_response(sample, path: str) -> HtmlResponse:
    status, _, body = sample.render(path, BASE)
    assert status == 200, path
    return HtmlResponse(url=BASE + path, body=body.encode("utf-8"), encoding="utf-8")


def test_new_template_listing_and_pagenavi(sample):
    section = next(s for s, template in LISTED_SECTIONS if template == "posts-item")
    response = sample_response(sample, f"/bnews/{section}/")
    articles, listings = split(make_spider(start_urls=BASE + "/").parse_listing(response))
    expected = [a.article_id for a in sample.listing(section)[:15]]
    assert [site.parse_article_url(r.url).article_id for r in articles] == expected
    assert [r.url for r in listings] == [f"{BASE}/bnews/{section}/page/2/"]


def test_max_pages_stops_pagination(sample):
    spider = make_spider(start_urls=BASE + "/", max_pages="2")
    response = sample_response(sample, "/bnews/worldnews/page/2/")
    _, listings = split(spider.parse_listing(response, page=2))
    assert listings == []
    assert spider.crawler.stats.get_value("newsspider/pagination/stopped_max_pages") == 1
    _, listings = split(spider.parse_listing(sample_response(sample, "/bnews/worldnews/"), page=1))
    assert len(listings) == 1


def test_the_listing_pages_max_pages_still_allows_are_known_while_a_listing_is_read(sample):
    spider = make_spider(start_urls=BASE + "/", max_pages="3")
    assert spider.listing_pages_left() == 0
    first = spider._listing_request(BASE + "/bnews/worldnews/", page=1)
    assert spider.listing_pages_left() == 3
    response = sample_response(sample, "/bnews/worldnews/")
    response = response.replace(request=first)
    (second,) = split(spider.parse_listing(response, page=1))[1]
    assert spider.listing_pages_left() == 2  # page 1 read, page 2 in flight: at most 2 more
    spider._listing_request(BASE + "/bnews/comments/", page=1)
    assert spider.listing_pages_left() == 5
    response = sample_response(sample, "/bnews/worldnews/page/2/").replace(request=second)
    (third,) = split(spider.parse_listing(response, page=2))[1]
    response = sample_response(sample, "/bnews/worldnews/page/3/").replace(request=third)
    assert split(spider.parse_listing(response, page=3))[1] == []  # max_pages: the chain ends
    assert spider.listing_pages_left() == 3  # comments' alone
    assert make_spider(start_urls=BASE + "/").listing_pages_left() is None  # no bound, no estimate


def test_a_listing_that_failed_or_turned_out_a_feed_has_no_pages_left():
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    from newsspider.extensions.progress import Progress

    spider = make_spider(start_urls=BASE + "/", max_pages="3")
    request = spider._listing_request(BASE + "/bnews/worldnews/", page=1)
    assert Progress._left(spider) == {"listing pages": 3}  # what the progress line shows
    failure = Failure(HttpError(HtmlResponse(url=request.url, status=500, body=b"", request=request)))
    failure.request = request
    spider.listing_failed(failure)
    assert spider.listing_pages_left() == 0 and Progress._left(spider) == {}
    # A start URL that looks like a listing is read as what it is: this one is a feed, with no pages.
    start = spider._seed(BASE + "/bnews/comments/", "listing")
    assert spider.listing_pages_left() == 3
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    list(start.callback(HtmlResponse(url=start.url, body=rss, request=start)))
    assert spider.listing_pages_left() == 0


@pytest.mark.parametrize(
    ("section", "page", "day"),
    [
        ("worldnews", 1, "middle"),  # older entries on the page: they are skipped, pagination stops
        ("worldnews", 2, "oldest"),  # none older: every entry is kept and the next page read
        ("comments", 1, "oldest"),
    ],
)
def test_since_keeps_its_own_day_and_stops_at_the_first_page_with_older_entries(sample, section, page, day):
    size = PAGE_SIZE[dict(LISTED_SECTIONS)[section]]
    entries = sample.listing(section)[(page - 1) * size : page * size]
    dates = sorted(a.date for a in entries)
    cutoff = dates[len(dates) // 2] if day == "middle" else dates[0]
    spider = make_spider(start_urls=BASE + "/", since=f"{cutoff[:4]}-{cutoff[4:6]}-{cutoff[6:]}")
    path = f"/bnews/{section}/" + (f"page/{page}/" if page > 1 else "")
    articles, listings = split(spider.parse_listing(sample_response(sample, path), page=page))
    kept = [a.article_id for a in entries if a.date >= cutoff]
    assert [site.parse_article_url(r.url).article_id for r in articles] == kept
    older = dates[0] < cutoff
    assert [r.url for r in listings] == ([] if older else [f"{BASE}/bnews/{section}/page/{page + 1}/"])
    assert spider.crawler.stats.get_value("newsspider/pagination/stopped_since") == (1 if older else None)


def test_article_variants_become_one_simplified_request(sample):
    spider = make_spider(start_urls=BASE + "/")
    article = sample.articles[sample.public_ids[0]]
    variants = [
        article.path(),
        article.path(traditional=True),
        article.path(amp=True),
        article.path(traditional=True, amp=True),
        article.path() + "/amp/",
    ]
    requests = [r for v in variants for r in spider._follow_article(BASE + v, "related", 1)]
    assert [r.url for r in requests] == [BASE + article.path()]


def test_article_page_follows_only_the_related_list(sample):
    article = sample.articles[sample.public_ids[3]]
    spider = make_spider(start_urls=BASE + "/")
    output = list(spider.parse_article(sample_response(sample, article.path())))
    item, requests = output[0], output[1:]
    assert item.articleId == article.article_id
    expected = [rid for rid, _ in article.related if rid != article.article_id]
    assert [site.parse_article_url(r.url).article_id for r in requests] == expected
    assert not set(sample.promo_ids()) & {site.parse_article_url(r.url).article_id for r in requests}


def test_failed_simplified_page_falls_back_to_the_mirror_once():
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    spider = make_spider(start_urls=BASE + "/")
    request = Request(BASE + "/bnews/worldnews/20240620/1.html", callback=spider.parse_article)
    response = HtmlResponse(url=request.url, status=404, body=b"", request=request)
    failure = Failure(HttpError(response))
    failure.request = request
    (retry,) = list(spider.article_failed(failure))
    assert retry.url == BASE + "/bnews/zh-tw/worldnews/20240620/1.html"
    assert retry.dont_filter  # a filter keyed by article id (several workers) must let it through
    failure.request = retry
    assert list(spider.article_failed(failure)) == []
    assert spider.crawler.stats.get_value("newsspider/articles/unreachable") == 1


def test_default_start_urls_cover_the_news_categories_but_not_fanqiang():
    spider = make_spider()
    assert len(spider.start_urls) == len(site.CATEGORIES) >= 10
    assert all(u.startswith("https://www.bannedbook.org/bnews/") for u in spider.start_urls)
    assert not any("fanqiang" in u for u in spider.start_urls)
    assert spider.allowed_domains == ["www.bannedbook.org"]


def test_start_urls_argument_sets_the_allowed_hosts():
    spider = make_spider(start_urls="http://127.0.0.1:8000/bnews/worldnews/, http://localhost:9/bnews/x/")
    assert spider.start_urls == ["http://127.0.0.1:8000/bnews/worldnews/", "http://localhost:9/bnews/x/"]
    assert spider.allowed_domains == ["127.0.0.1", "localhost"]
    assert {urlsplit(u).hostname for u in spider.start_urls} == set(spider.allowed_domains)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_pages": "many"}, "max_pages"),
        ({"max_pages": "-1"}, "max_pages"),
        ({"since": "2024/06/01"}, "since"),
        ({"start_urls": "ftp://example.org/"}, "start_urls"),
        ({"start_urls": "/bnews/worldnews/"}, "start_urls"),
        ({"start_urls": ""}, "start_urls"),  # not the default categories: an empty list is a mistake
        ({"related_depth": "-2"}, "related_depth"),
        ({"maxpages": "2"}, "maxpages"),  # a typo would otherwise be silently ignored
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(kwargs, message):
    with pytest.raises(BadInput, match=f"argument {message}="):
        make_spider(**kwargs)


def test_settings_provide_the_limits():
    crawler = project_crawler(NEWSSPIDER_MAX_PAGES=3, NEWSSPIDER_SINCE="2024-01-31", NEWSSPIDER_RELATED_DEPTH=2)
    spider = BannedbookSpider.from_crawler(crawler)
    assert (spider.max_pages, spider.since, spider.related_depth) == (3, "20240131", 2)
    spider = BannedbookSpider.from_crawler(project_crawler(NEWSSPIDER_MAX_PAGES=3), max_pages="1", related_depth="0")
    assert (spider.max_pages, spider.related_depth) == (1, 0)  # the argument wins


def test_repeating_pagination_is_a_trap_and_stops(sample):
    spider = make_spider(start_urls=BASE + "/")
    response = sample_response(sample, "/bnews/worldnews/")
    _, (next_page,) = split(spider.parse_listing(response))
    again = HtmlResponse(url=BASE + "/bnews/worldnews/page/2/", body=response.body, encoding="utf-8")
    _, listings = split(spider.parse_listing(again, **next_page.cb_kwargs))
    assert listings == []
    assert spider.crawler.stats.get_value("newsspider/pagination/stopped_repeating") == 1


def test_only_web_links_to_articles_are_followed():
    spider = make_spider(start_urls=BASE + "/")
    links = ["javascript:void(0)", "mailto:a@b.c", "tel:+1", "data:text/html,x", "http://[…]/1.html", ""]
    assert [r for link in links for r in spider._follow_article(link, "related", 1)] == []
    assert spider.crawler.stats.get_value("newsspider/links/not_article") == len(links)


def test_non_html_answers_are_not_parsed_even_at_html_urls():
    from scrapy.http import Response

    from newsspider.spiders.base import is_html

    spider = make_spider(start_urls=BASE + "/")
    image = HtmlResponse(
        url=BASE + "/bnews/a/20240101/1.html", body=b"\xff\xd8", headers={"Content-Type": "image/jpeg"}
    )
    assert not is_html(image) and not is_html(Response(url=BASE + "/x.pdf", body=b"%PDF"))
    assert list(spider.parse_article(image)) == []
    assert spider.failed_articles == [{"url": image.url, "reason": "not_html"}]


@pytest.mark.parametrize(
    ("exception", "reason"),
    [
        ("robots", "robots"),
        ("redirect", "redirect_loop"),
        ("maxsize", "too_large"),
        ("timeout", "DownloadTimeoutError"),
    ],
)
def test_failure_reasons(exception, reason):
    from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
    from twisted.python.failure import Failure

    from newsspider.spiders.base import failure_reason

    errors = {
        "robots": IgnoreRequest("Forbidden by robots.txt"),
        "redirect": IgnoreRequest("max redirections reached"),
        "maxsize": IgnoreRequest("body exceeded DOWNLOAD_MAXSIZE"),
        "timeout": DownloadTimeoutError("took longer than 2 seconds"),
    }
    assert failure_reason(Failure(errors[exception])) == reason


# --- decisions that depend on the crawl state and on how far related links reach -------------------

WORLD = BASE + "/bnews/worldnews/"


def article_url(article_id: str) -> str:
    return f"{BASE}/bnews/worldnews/20240620/{article_id}.html"


def listing_response(*article_ids: str) -> HtmlResponse:
    entries = "".join(f'<div class="postlist"><h4><a href="{article_url(a)}">t</a></h4></div>' for a in article_ids)
    body = f'<html><head><link rel="next" href="{WORLD}page/2/" /></head><body>{entries}</body></html>'
    return HtmlResponse(url=WORLD, body=body.encode("utf-8"), encoding="utf-8")


def spider_with_state(tmp_path, prepare, **settings) -> BannedbookSpider:
    """A spider whose crawl state (SQLite under ``tmp_path``) ``prepare`` filled as earlier runs would."""
    store = SqliteStateStore(tmp_path / "s.sqlite3")
    prepare(store)
    store.close()
    uri = f"sqlite:///{tmp_path}/s.sqlite3"
    crawler = project_crawler(NEWSSPIDER_STATE_ENABLED=True, NEWSSPIDER_STATE_URI=uri, **settings)
    spider = BannedbookSpider.from_crawler(crawler, start_urls=WORLD)
    spider.crawl_state = crawler.get_extension(CrawlState)
    return spider


def emitted(article_id: str) -> StateChanges:
    return StateChanges({article_id: Emission(article_id, article_url(article_id), "sha256:" + "a" * 64, 1)}, {}, {})


def test_pagination_stops_at_settled_entries_not_at_merely_held_ones(tmp_path):
    def prepare(store):
        store.apply("bannedbook", emitted("100"), "2024-01-01T00:00:00.000000Z")
        store.begin_run("bannedbook", "r1", [], "2024-01-01T00:00:00.000000Z")
        store.end_run("bannedbook", "r1", "finished", "2024-01-02T00:00:00.000000Z")
        store.apply("bannedbook", emitted("200"), "2024-01-03T00:00:00.000000Z")  # a killed run's record

    spider = spider_with_state(tmp_path, prepare)
    articles, listings = split(spider.parse_listing(listing_response("100")))
    assert (articles, listings) == ([], [])  # settled by a finished run: older pages are too
    articles, listings = split(spider.parse_listing(listing_response("200")))
    assert articles == [] and [r.url for r in listings] == [WORLD + "page/2/"]  # held, not settled: go on
    articles, listings = split(spider.parse_listing(listing_response("999", "100")))
    assert [r.url for r in articles] == [article_url("999")]  # one new entry on the page: go on
    assert [r.url for r in listings] == [WORLD + "page/2/"]
    spider.crawl_state.store.close()


def test_the_frontier_of_earlier_runs_is_requested_at_start(tmp_path):
    def prepare(store):
        store.apply("bannedbook", StateChanges({}, {}, {"300": article_url("300")}), "2024-01-01T00:00:00.000000Z")

    spider = spider_with_state(tmp_path, prepare)

    async def collect():
        return [request async for request in spider.start()]

    requests = asyncio.run(collect())
    frontier = [r for r in requests if r.meta.get("via") == "frontier"]
    assert [r.url for r in frontier] == [article_url("300")]
    assert frontier[0].meta["depth_hops"] == spider.related_depth  # fetched, its own links not followed
    spider.crawl_state.store.close()


@pytest.mark.parametrize(("refresh_after", "refetched"), [(3600, True), (3 * 3600, False), (None, False)])
def test_a_held_article_is_fetched_again_once_its_refresh_interval_passed(tmp_path, refresh_after, refetched):
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def prepare(store):
        store.apply("bannedbook", emitted("100"), two_hours_ago)
        store.apply("bannedbook", StateChanges({}, {"100": (article_url("100"), two_hours_ago)}, {}), two_hours_ago)

    spider = spider_with_state(tmp_path, prepare, NEWSSPIDER_REFRESH_AFTER=str(refresh_after))
    articles, _ = split(spider.parse_listing(listing_response("100")))
    assert [r.meta["via"] for r in articles] == (["refresh"] if refetched else [])
    spider.crawl_state.store.close()


@pytest.mark.parametrize(
    ("settings", "last_fetched"),
    [
        ({"NEWSSPIDER_REFRESH_AFTER": "0", "NEWSSPIDER_NOW": "2024-08-01T12:00:00Z"}, "2024-08-01T10:00:00.000000Z"),
        # Published 2024-06-20, within NEWSSPIDER_REFRESH_RECENT_DAYS; last fetched 7 hours ago, past its 6.
        ({"NEWSSPIDER_NOW": "2024-06-21T12:00:00Z"}, "2024-06-21T05:00:00.000000Z"),
    ],
    ids=["refresh-after-0", "recent-after-its-interval"],
)
def test_related_links_to_a_held_article_are_never_followed_even_when_it_is_due(tmp_path, settings, last_fetched):
    def prepare(store):
        store.apply("bannedbook", emitted("100"), last_fetched)
        store.apply("bannedbook", StateChanges({}, {"100": (article_url("100"), last_fetched)}, {}), last_fetched)

    spider = spider_with_state(tmp_path, prepare, **settings)
    assert list(spider._follow_article(article_url("100"), "related", 1)) == []
    assert spider.crawler.stats.get_value("newsspider/links/held_article") == 1
    articles, _ = split(spider.parse_listing(listing_response("100")))
    assert [r.meta["via"] for r in articles] == ["refresh"]  # due: a listing showing it does fetch it again
    spider.crawl_state.store.close()


def test_an_offsite_link_does_not_hide_the_article_from_an_onsite_one():
    spider = make_spider(start_urls=WORLD)
    offsite = "https://www.bannedbook.org/bnews/worldnews/20240620/500.html"  # the real host, crawling a copy
    assert list(spider._follow_article(offsite, "related", 1)) == []
    assert spider.crawler.stats.get_value("newsspider/links/offsite_article") == 1
    articles, _ = split(spider.parse_listing(listing_response("500")))
    assert [r.url for r in articles] == [article_url("500")]


def test_related_links_are_followed_as_far_as_related_depth_from_a_listing(sample):
    host = next(a for a in sample.articles.values() if a.kind == "listed" and len(a.related) >= 3)
    spider = make_spider(start_urls=BASE + "/", related_depth="1")
    (request,) = spider._follow_article(BASE + host.path(), "related", 1)  # first reached as a related link
    response = sample_response(sample, host.path())
    response = response.replace(request=request)
    item, *requests = list(spider.parse_article(response))
    assert item.articleId == host.article_id and requests == []  # one hop from a listing already: stop
    # The same article on a listing is zero hops away: its related list is followed now.
    listing = HtmlResponse(
        url=BASE + "/bnews/x/",
        body=f'<div class="postlist"><h4><a href="{BASE}{host.path()}">t</a></h4></div>'.encode(),
        encoding="utf-8",
    )
    articles, _ = split(spider.parse_listing(listing))
    expected = {rid for rid, _ in host.related}
    assert {site.parse_article_url(r.url).article_id for r in articles} == expected
    assert {r.meta["depth_hops"] for r in articles} == {1}


def test_a_start_listing_without_article_links_is_a_failed_start():
    spider = make_spider(start_urls=BASE + "/")
    request = Request(BASE + "/", meta={"start_url": BASE + "/", "page_kind": "listing"})
    response = HtmlResponse(url=BASE + "/", body=b"<html><body>home</body></html>", request=request)
    assert list(spider.parse_listing(response)) == []
    assert spider.failed_starts == {BASE + "/": "no_article_links"}


def test_article_requests_carry_the_article_key_for_a_shared_filter():
    """With several workers the duplicate filter is keyed by article id, and knows whether the
    fetch follows the page's related list (then a fetch that did not is no reason to skip it)."""
    from newsspider.cluster import DEDUPE_KEY

    spider = make_spider(start_urls=BASE + "/", related_depth="1")
    url = BASE + "/bnews/worldnews/20240620/1.html"
    listed = spider._article_request(url, "listing", 0)
    related = spider._article_request(url, "related", 1)
    assert listed.meta[DEDUPE_KEY] == ("article:1", url, True)
    assert related.meta[DEDUPE_KEY] == ("article:1", url, False)


class FakeRun:
    """ClusterRun's two calls about related lists, without Redis (single-process unit test)."""

    def __init__(self, closer=False, leaf_depth=None):
        self.closer, self.leaf_depth = closer, leaf_depth
        self.leaves: dict[str, list[str]] = {}

    def found_closer(self, article_id, depth):
        return self.closer

    def parsed_leaf(self, article_id, urls):
        self.leaves[article_id] = urls
        return self.leaf_depth


def test_a_leaf_another_worker_found_closer_has_its_list_followed():
    spider = make_spider(start_urls=BASE + "/", related_depth="1")
    urls = [BASE + "/bnews/worldnews/20240620/2.html"]
    spider._cluster = FakeRun(leaf_depth=None)
    assert list(spider._follow_related("1", BASE + "/bnews/worldnews/20240620/1.html", urls, 1)) == []
    assert spider._cluster.leaves == {"1": urls}  # kept for a worker that finds it closer
    spider._cluster = FakeRun(leaf_depth=0)  # found on a listing while this worker fetched it
    (request,) = spider._follow_related("1", BASE + "/bnews/worldnews/20240620/1.html", urls, 1)
    assert request.url == urls[0] and request.meta["depth_hops"] == 1


def test_an_article_another_worker_fetched_as_a_leaf_is_expanded_not_fetched_again():
    spider = make_spider(start_urls=BASE + "/", related_depth="1")
    related = BASE + "/bnews/worldnews/20240620/2.html"
    spider._cluster = FakeRun(closer=[related])
    (request,) = spider._follow_article(BASE + "/bnews/worldnews/20240620/1.html", "listing", 0)
    assert request.url == related  # its related link, not the article again
    assert spider.crawler.stats.get_value("newsspider/links/expanded_from_run") == 1
    spider._cluster = FakeRun(closer=True)  # its fetch is pending: that worker follows the list
    assert list(spider._follow_article(BASE + "/bnews/worldnews/20240620/3.html", "listing", 0)) == []
    spider._cluster = FakeRun(closer=False)  # nobody fetches it
    (request,) = spider._follow_article(BASE + "/bnews/worldnews/20240620/4.html", "listing", 0)
    assert request.url == BASE + "/bnews/worldnews/20240620/4.html"


def test_a_listing_link_is_read_by_the_url_rule_once(monkeypatch):
    """A discovered link is parsed once on its way to its request, not once per step."""
    calls = []
    counted = dataclasses.replace(
        BannedbookSpider.site, parse_article_url=lambda url: calls.append(url) or site.parse_article_url(url)
    )
    monkeypatch.setattr(BannedbookSpider, "site", counted)
    articles, _ = split(make_spider().parse_listing(html_response("listing-tag-2020.html", LISTING_URL)))
    assert articles and len(calls) == len(articles)  # every link is an article here: one reading each
