"""Reading feeds and sitemaps (newsspider.discovery), the site's discovery URLs, the id set."""

from __future__ import annotations

import gzip
import pickle
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsspider import discovery
from newsspider.errors import BadInput
from newsspider.idset import IdSet
from newsspider.samplesite.faults import FaultPlan
from newsspider.samplesite.generator import SampleSite
from newsspider.sites import bannedbook as site
from newsspider.spiders.bannedbook import BannedbookSpider
from tests.conftest import project_crawler
from tests.test_spider import make_spider

BASE = "http://127.0.0.1:9"
SITE = SampleSite(articles=40, sitemap_size=12)


def body(path: str, base: str = BASE, site_base: str | None = None) -> bytes:
    status, _, text = SITE.render(path, base, site_base)
    assert status == 200, path
    return text if isinstance(text, bytes) else text.encode("utf-8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sun, 30 Jun 2024 00:18:00 +0000", datetime(2024, 6, 30, 0, 18, tzinfo=UTC)),
        ("Sun, 30 Jun 2024 08:18:00 GMT", datetime(2024, 6, 30, 8, 18, tzinfo=UTC)),
        ("Sat, 29 Jun 2024 19:18:00 -0500", datetime(2024, 6, 30, 0, 18, tzinfo=UTC)),
        ("2024-06-30T08:18:00+08:00", datetime(2024, 6, 30, 0, 18, tzinfo=UTC)),
        ("2024-06-30T00:18:00Z", datetime(2024, 6, 30, 0, 18, tzinfo=UTC)),
        ("2024-06-30T00:18Z", datetime(2024, 6, 30, 0, 18, tzinfo=UTC)),
        ("2024-06-30", datetime(2024, 6, 30, tzinfo=UTC)),  # no zone: UTC
        ("  2024-06-30T00:18:00  ", datetime(2024, 6, 30, 0, 18, tzinfo=UTC)),
        ("yesterday", None),
        ("2024-13-45", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_time_reads_rss_and_w3c_times_as_utc(text: str | None, expected: datetime | None) -> None:
    assert discovery.parse_time(text) == expected


def test_an_rss_feed_gives_its_items_links_and_publication_times() -> None:
    feed = discovery.read_feed(body("/bnews/worldnews/feed/"), BASE + "/bnews/worldnews/feed/")
    articles = SITE.feed_entries("worldnews")
    assert feed is not None and feed.problem is None
    assert [e.url for e in feed.entries] == [BASE + a.path() for a in articles]
    assert [e.published for e in feed.entries] == [SITE.post_time(a) for a in articles]
    assert [e.changed for e in feed.entries] == [e.published for e in feed.entries]  # RSS has no update time


def test_an_atom_feed_gives_updated_as_the_change_time() -> None:
    edited = SITE.feed_entries("comments")[2]
    SITE.edit(1, [edited.article_id], at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    feed = discovery.read_feed(body("/bnews/comments/feed/atom/"), BASE + "/bnews/comments/feed/atom/")
    assert feed is not None and feed.problem is None
    by_url = {e.url: e for e in feed.entries}
    entry = by_url[BASE + edited.path()]
    assert entry.changed == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert entry.published == SITE.post_time(edited)
    assert len(feed.entries) == len(SITE.feed_entries("comments"))


def test_feedburner_items_give_the_articles_own_url_not_the_redirector() -> None:
    feed = discovery.read_feed(body("/feedburner/bnews/headline", base="http://feeds.example", site_base=BASE), "x")
    assert feed is not None
    assert [e.url for e in feed.entries] == [BASE + a.path() for a in SITE.feed_entries("headline")]
    assert not any("feedproxy" in e.url or "feeds.example" in e.url for e in feed.entries)


def test_rss_1_rdf_and_relative_links_and_permalink_guids() -> None:
    rdf = b"""<?xml version="1.0"?>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
             xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="x"><title>t</title></channel>
      <item rdf:about="a"><title>A</title><link>/bnews/cnnews/20240101/1.html</link>
        <dc:date>2024-01-01T10:00:00+08:00</dc:date></item>
    </rdf:RDF>"""
    feed = discovery.read_feed(rdf, "https://www.bannedbook.org/feed/")
    assert feed is not None
    assert feed.entries == [
        discovery.Entry(
            "https://www.bannedbook.org/bnews/cnnews/20240101/1.html",
            datetime(2024, 1, 1, 2, tzinfo=UTC),
            datetime(2024, 1, 1, 2, tzinfo=UTC),
        )
    ]
    rss = b"""<rss version="2.0"><channel><item><guid>https://h/bnews/a/20240101/2.html</guid></item>
    <item><guid isPermaLink="false">https://h/?p=3</guid></item><item><title>no link</title></item></channel></rss>"""
    assert [e.url for e in discovery.read_feed(rss, "https://h/").entries] == ["https://h/bnews/a/20240101/2.html"]


def test_a_malformed_feed_keeps_the_items_read_before_the_damage() -> None:
    plan = FaultPlan(SampleSite())
    answer, fault = plan.respond("/bnews/comments/feed/", BASE)
    assert fault == "malformed_feed"
    feed = discovery.read_feed(answer.body, BASE)
    assert feed is not None and feed.problem == "malformed"
    expected = [BASE + a.path() for a in plan.site.feed_entries("comments")[:3]]
    assert [e.url for e in feed.entries][:3] == expected


@pytest.mark.parametrize(
    "text", [b"", b"<html><body>not a feed</body></html>", b'<?xml version="1.0"?><urlset/>', b"\x00\x01garbage"]
)
def test_what_is_no_feed_reads_as_none(text: bytes) -> None:
    assert discovery.read_feed(text, BASE) is None


def test_root_names_tell_feeds_sitemaps_and_pages_apart() -> None:
    assert discovery.root_name(body("/bnews/worldnews/feed/")) == "rss"
    assert discovery.root_name(body("/bnews/worldnews/feed/atom/")) == "feed"
    assert discovery.root_name(body("/sitemap_index.xml")) == "sitemapindex"
    assert discovery.root_name(body("/post-sitemap.xml")) == "urlset"
    assert discovery.root_name(body("/bnews/worldnews/")) is None
    assert discovery.root_name(b"\xef\xbb\xbf  <rss><channel/></rss>") == "rss"
    assert discovery.root_name(b"") is None


def test_a_sitemap_index_lists_post_sitemaps_with_their_lastmod() -> None:
    index = discovery.read_sitemap(body("/sitemap_index.xml"), BASE + "/sitemap_index.xml", 1000)
    assert index is not None and index.kind == "sitemapindex" and index.problem is None
    urls = [e.url for e in index.entries]
    assert urls == [BASE + p for p in SITE.sitemap_paths()] + [
        BASE + "/page-sitemap.xml",
        BASE + "/category-sitemap.xml",
    ]
    assert all(e.changed is not None for e in index.entries[: len(SITE.sitemap_paths())])


def test_gzipped_and_plain_sitemaps_list_every_article_once_with_lastmod() -> None:
    entries = []
    for path in SITE.sitemap_paths():
        raw = body(path)
        assert (raw[:3] == discovery.GZIP_MAGIC) == path.endswith(".gz")
        sitemap = discovery.read_sitemap(discovery.unpack(raw, 10**7), BASE + path, 1000)
        assert sitemap is not None and sitemap.kind == "urlset"
        entries += sitemap.entries
    assert len(entries) == len(SITE.articles) == len({e.url for e in entries})
    assert all(e.changed is not None for e in entries)


def test_sitemap_caps_stop_a_hostile_sitemap() -> None:
    raw = body("/post-sitemap.xml")
    capped = discovery.read_sitemap(raw, BASE, 5)
    assert capped is not None and capped.problem == "too_many_urls" and len(capped.entries) == 5
    with pytest.raises(discovery.TooLarge):
        discovery.unpack(raw, len(raw) - 1)
    with pytest.raises(discovery.TooLarge):
        discovery.unpack(gzip.compress(raw), len(raw) - 1)  # the cap counts unzipped bytes
    assert discovery.unpack(gzip.compress(raw), len(raw)) == raw
    answer, fault = FaultPlan(SampleSite()).respond("/post-sitemap-archive.xml.gz", BASE)
    assert fault == "sitemap_bomb" and len(answer.body) < 200_000
    with pytest.raises(discovery.TooLarge):
        discovery.unpack(answer.body, 50 * 1024 * 1024)


@pytest.mark.parametrize("text", [b"", b"<html/>", b"<?xml version='1.0'?><rss/>", b"\x1f\x8b\x08broken"])
def test_what_is_no_sitemap_reads_as_none(text: bytes) -> None:
    assert discovery.read_sitemap(discovery.unpack(text, 1000), BASE, 10) is None


def test_robots_txt_sitemap_lines() -> None:
    assert discovery.sitemaps_in_robots(body("/robots.txt"), BASE + "/robots.txt") == [BASE + "/sitemap_index.xml"]
    text = b"User-agent: *\nsitemap: /a.xml\nSITEMAP: https://cdn.example/b.xml.gz\nSitemap: /a.xml\n"
    assert discovery.sitemaps_in_robots(text, "https://h/robots.txt") == [
        "https://h/a.xml",
        "https://cdn.example/b.xml.gz",
    ]


@pytest.mark.parametrize(
    ("url", "kind", "feed"),
    [
        ("https://www.bannedbook.org/bnews/cnnews/", "listing", "https://www.bannedbook.org/bnews/cnnews/feed/"),
        (
            "https://www.bannedbook.org/bnews/cnnews/hknews",
            "listing",
            "https://www.bannedbook.org/bnews/cnnews/hknews/feed/",
        ),
        ("https://www.bannedbook.org/bnews/cnnews/page/2/", "listing", None),
        ("https://www.bannedbook.org/bnews/cnnews/feed/", "feed", None),
        ("https://www.bannedbook.org/bnews/cnnews/feed/atom/", "feed", None),
        ("https://feeds.feedburner.com/bannedbook/hot", "feed", None),
        ("https://www.bannedbook.org/sitemap_index.xml", "sitemap", None),
        ("https://www.bannedbook.org/post-sitemap12.xml.gz", "sitemap", None),
        ("https://www.bannedbook.org/robots.txt", "robots", None),
        ("https://www.bannedbook.org/bnews/cnnews/20240101/123.html", "article", None),
        ("https://www.bannedbook.org/", "listing", None),
    ],
)
def test_start_url_kinds_and_category_feeds(url: str, kind: str, feed: str | None) -> None:
    assert site.start_kind(url, frozenset({"feeds.feedburner.com"})) == kind
    if kind == "listing":
        assert site.feed_url(url) == feed


@pytest.mark.parametrize(
    ("path", "skipped"),
    [
        ("/post-sitemap.xml", False),
        ("/post-sitemap3.xml.gz", False),
        ("/news-sitemap.xml", False),
        ("/wp-sitemap-posts-post-1.xml", False),
        ("/page-sitemap.xml", True),
        ("/category-sitemap.xml", True),
        ("/post_tag-sitemap2.xml", True),
        ("/author-sitemap.xml", True),
        ("/wp-sitemap-taxonomies-category-1.xml", True),
        ("/wp-sitemap-users-1.xml", True),
    ],
)
def test_sitemaps_that_list_no_articles_are_not_fetched(path: str, skipped: bool) -> None:
    assert bool(site.SITEMAP_SKIP_RE.search(path)) == skipped


def test_id_set_holds_numeric_and_other_ids_apart_and_survives_pickling() -> None:
    ids = IdSet(["2051000", "7", "abc", "0123", str(1 << 40)])
    for article_id in ("2051000", "7", "abc", "0123", str(1 << 40)):
        assert article_id in ids
    for article_id in ("2051001", "6", "123", "ab", "", "0", str((1 << 40) + 1)):
        assert article_id not in ids
    ids.add("7")
    assert len(ids) == 5
    again = pickle.loads(pickle.dumps(ids))
    assert "2051000" in again and "0123" in again and len(again) == 5
    again.add("8")
    assert "8" in again and "8" not in ids


def test_id_set_of_an_archive_stays_small() -> None:
    ids = IdSet()
    for number in range(0, 2_400_000, 1):
        ids.add(str(number))
    assert len(ids) == 2_400_000 and "2399999" in ids and "2400000" not in ids
    assert len(pickle.dumps(ids)) < 600_000  # a bit per id (a set of strings: about 150 MB)


# --- the spider's seeds ----------------------------------------------------------------------


def seeds(spider) -> list[tuple[str, str]]:
    """(page kind, URL) of the requests a crawl starts with."""
    return [(r.meta["page_kind"], r.url) for r in spider._seed_requests()]


def test_discover_modes_choose_what_the_start_listings_become() -> None:

    starts = "http://127.0.0.1:9/bnews/worldnews/,http://127.0.0.1:9/bnews/comments/,http://localhost:7/bnews/x/"
    assert seeds(make_spider(start_urls=starts)) == [
        ("listing", "http://127.0.0.1:9/bnews/worldnews/"),
        ("listing", "http://127.0.0.1:9/bnews/comments/"),
        ("listing", "http://localhost:7/bnews/x/"),
    ]
    assert seeds(make_spider(start_urls=starts, discover="feeds")) == [
        ("feed", "http://127.0.0.1:9/bnews/worldnews/feed/"),
        ("feed", "http://127.0.0.1:9/bnews/comments/feed/"),
        ("feed", "http://localhost:7/bnews/x/feed/"),
    ]
    # One robots.txt per site (host and port), for its Sitemap: lines.
    assert seeds(make_spider(start_urls=starts, discover="sitemaps")) == [
        ("robots", "http://127.0.0.1:9/robots.txt"),
        ("robots", "http://localhost:7/robots.txt"),
    ]
    both = seeds(make_spider(start_urls=starts, discover="sitemaps, Listings"))
    assert [kind for kind, _ in both] == ["listing", "listing", "listing", "robots", "robots"]


def test_feeds_sitemaps_and_articles_given_are_read_as_what_they_are_in_any_mode() -> None:

    given = [
        "http://127.0.0.1:9/bnews/worldnews/feed/",
        "http://127.0.0.1:9/post-sitemap2.xml.gz",
        "http://127.0.0.1:9/bnews/worldnews/20240630/2069200.html",
    ]
    for mode in ("listings", "feeds", "sitemaps"):
        spider = make_spider(start_urls=",".join(given), discover=mode)
        got = seeds(spider)
        assert got[:3] == [("feed", given[0]), ("sitemap", given[1]), ("article", given[2])], mode
        assert spider.seeds[:3] == given


def test_a_feed_on_a_feed_host_is_fetched_there_and_its_articles_on_the_site() -> None:

    spider = make_spider(start_urls="https://feeds.feedburner.com/bnews/cnnews")
    assert spider.allowed_domains == ["www.bannedbook.org"]
    (request,) = spider._seed_requests()
    assert request.meta["allow_offsite"] is True and request.meta["page_kind"] == "feed"
    crawler = project_crawler(NEWSSPIDER_SITE_URL="http://127.0.0.1:9/", NEWSSPIDER_FEED_HOSTS="localhost")
    spider = BannedbookSpider.from_crawler(crawler, start_urls="http://localhost:5/feedburner/bnews/headline")
    assert spider.allowed_domains == ["127.0.0.1"] and spider.site_roots == ["http://127.0.0.1:9"]
    # A feed given beside the site's own pages: the site's hosts are the pages' ones.
    spider = make_spider(start_urls="https://feeds.feedburner.com/x,http://127.0.0.1:9/bnews/a/")
    assert spider.allowed_domains == ["127.0.0.1"]


def test_the_default_start_urls_follow_the_site_url() -> None:

    spider = BannedbookSpider.from_crawler(project_crawler(NEWSSPIDER_SITE_URL="https://mirror.example"))
    assert spider.start_urls[0] == f"https://mirror.example/bnews/{site.CATEGORIES[0]}/"
    assert spider.allowed_domains == ["mirror.example"]


@pytest.mark.parametrize(
    ("kwargs", "settings", "message"),
    [
        ({"discover": "rss"}, {}, "argument discover="),
        ({"discover": ""}, {}, "argument discover="),
        ({}, {"NEWSSPIDER_DISCOVER": "listings,atom"}, "setting NEWSSPIDER_DISCOVER="),
        ({}, {"NEWSSPIDER_SITE_URL": "www.bannedbook.org"}, "setting NEWSSPIDER_SITE_URL="),
        ({}, {"NEWSSPIDER_SITE_URL": "https://h/bnews/"}, "setting NEWSSPIDER_SITE_URL="),
        ({}, {"NEWSSPIDER_FEED_HOSTS": "https://feeds.feedburner.com/"}, "setting NEWSSPIDER_FEED_HOSTS="),
        ({}, {"NEWSSPIDER_SITEMAP_MAX_BYTES": "0"}, "setting NEWSSPIDER_SITEMAP_MAX_BYTES="),
        ({}, {"NEWSSPIDER_SITEMAP_QUEUE": "lots"}, "setting NEWSSPIDER_SITEMAP_QUEUE="),
    ],
)
def test_bad_discovery_arguments_and_settings_are_refused(kwargs: dict, settings: dict, message: str) -> None:

    with pytest.raises(BadInput, match=message):
        BannedbookSpider.from_crawler(project_crawler(**settings), **kwargs)


# --- the spider's sitemap and feed bookkeeping (each test answers a mutation that survived) -----


class FakeEngine:
    """What the spider asks of the engine: the scheduler's length, and requests crawled directly."""

    def __init__(self, queued: int = 0):
        self.scheduler = [None] * queued
        self.crawled: list = []

    def crawl(self, request) -> None:
        self.crawled.append(request)


def xml_response(url: str, body: bytes, **meta):
    from scrapy.http import Request, XmlResponse

    return XmlResponse(url, body=body, request=Request(url, meta=meta))


def urlset(*urls: str) -> bytes:
    items = "".join(f"<url><loc>{u}</loc><lastmod>2024-06-30T00:00:00+00:00</lastmod></url>" for u in urls)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'.encode()


def index_of(*urls: str) -> bytes:
    items = "".join(f"<sitemap><loc>{u}</loc><lastmod>2024-06-30T00:00:00+00:00</lastmod></sitemap>" for u in urls)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'.encode()


def test_a_sitemap_listed_twice_or_on_another_host_or_past_the_cap_is_not_queued() -> None:
    spider = BannedbookSpider.from_crawler(project_crawler(NEWSSPIDER_SITEMAP_MAX_FILES=3), start_urls=BASE + "/")
    children = [f"{BASE}/post-sitemap{n}.xml" for n in range(1, 6)]
    body = index_of(children[0], children[0], "http://offsite.invalid/post-sitemap.xml", *children[1:])
    list(spider.parse_sitemap(xml_response(BASE + "/sitemap_index.xml", body)))
    queued = [spider._sitemaps[0][0]] if spider._sitemaps else []
    queued += [url for url, _ in list(spider._sitemaps)[1:]]
    stats = spider.crawler.stats
    assert stats.get_value("newsspider/sitemaps/offsite") == 1
    assert stats.get_value("newsspider/sitemaps/over_max_files") == 2
    # Three distinct sitemaps of the site: one sent already (the pump), the rest waiting.
    sent = stats.get_value("newsspider/requests/sitemap")
    assert sent == 1 and len(spider._sitemaps) == 2 and len(set(queued)) == len(queued)
    assert {"url": children[3], "reason": "sitemap_over_max_files"} in spider.failed_listings


def test_robots_txt_without_sitemap_lines_or_failing_leads_to_the_yoast_index() -> None:
    from scrapy import Request
    from scrapy.http import Response, TextResponse
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    spider = make_spider(start_urls=BASE + "/")
    robots = TextResponse(
        BASE + "/robots.txt", body=b"User-agent: *\nDisallow: /x/\n", request=Request(BASE + "/robots.txt")
    )
    (request,) = spider.parse_robots(robots)
    assert request.url == BASE + "/sitemap_index.xml"
    spider = make_spider(start_urls=BASE + "/")
    gone = Response(BASE + "/robots.txt", status=404, request=Request(BASE + "/robots.txt"))
    failure = Failure(HttpError(gone, "404"))
    failure.request = gone.request
    (request,) = spider.robots_failed(failure)
    assert request.url == BASE + "/sitemap_index.xml"
    assert spider.crawler.stats.get_value("newsspider/sitemaps/robots_failed/http_404") == 1


def test_a_sitemap_is_recorded_as_read_only_when_read_in_full_and_only_by_a_finished_run() -> None:
    class State:
        def __init__(self) -> None:
            self.noted: list = []

        def prefetch(self, ids) -> None:
            list(ids)

        def note_sitemaps_read(self, read) -> None:
            self.noted.append(dict(read))

    crawler = project_crawler(NEWSSPIDER_SITEMAP_MAX_URLS=2)
    spider = BannedbookSpider.from_crawler(crawler, start_urls=BASE + "/")
    spider.crawl_state = State()
    urls = [f"{BASE}/bnews/worldnews/20240630/{n}.html" for n in (1, 2, 3)]
    spider.crawler.engine = FakeEngine(queued=10**6)  # a full queue: entries wait, nothing is requested
    list(spider.parse_sitemap(xml_response(BASE + "/a.xml", urlset(*urls[:2]), index_lastmod="L1", in_flight=True)))
    list(spider.parse_sitemap(xml_response(BASE + "/b.xml", urlset(*urls), index_lastmod="L2", in_flight=True)))
    assert spider._sitemaps_read == {BASE + "/a.xml": "L1"}  # b.xml had more entries than the cap
    spider.closed("shutdown")
    assert spider.crawl_state.noted == []  # a run stopped early recorded nothing
    spider.closed("finished")
    assert spider.crawl_state.noted == [{BASE + "/a.xml": "L1"}]


def test_an_idle_crawl_with_entries_left_goes_on() -> None:
    from scrapy.exceptions import DontCloseSpider

    spider = make_spider(start_urls=BASE + "/", related_depth="0")
    spider.crawler.engine = engine = FakeEngine()
    spider.reading_sitemaps = True
    spider._entries.extend((f"{BASE}/bnews/worldnews/20240630/{n}.html", None) for n in (1, 2))
    spider._transit = spider.sitemap_queue  # a count left high by a request some middleware dropped
    spider._sitemap_in_flight = 1
    with pytest.raises(DontCloseSpider):
        spider.spider_idle()
    assert [r.url for r in engine.crawled] == [f"{BASE}/bnews/worldnews/20240630/{n}.html" for n in (1, 2)]


def test_sitemap_entries_are_noted_in_the_frontier_and_feeds_expand_held_articles() -> None:
    class State:
        def __init__(self, held: bool) -> None:
            self.held = held
            self.discovered: dict = {}

        def is_held(self, article_id) -> bool:
            return self.held

        def is_unexpanded(self, article_id) -> bool:
            return True

        def note_discovered(self, article_id, url) -> None:
            self.discovered[article_id] = url

    url = f"{BASE}/bnews/worldnews/20240630/7.html"
    spider = make_spider(start_urls=BASE + "/")
    spider.crawl_state = State(held=False)
    (request,) = spider._follow_article(url, "sitemap", 0)
    assert spider.crawl_state.discovered == {"7": url}
    spider = make_spider(start_urls=BASE + "/")
    spider.crawl_state = State(held=True)
    (request,) = spider._follow_article(url, "feed", 0)
    assert request.meta["via"] == "expand"  # reached too deep before: fetched to follow its related list


def test_an_atom_items_publication_time_not_its_update_fills_the_date() -> None:
    spider = make_spider(start_urls=BASE + "/")
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <link href="http://127.0.0.1:9/bnews/worldnews/20240630/7.html"/>
      <published>2024-06-30T01:00:00Z</published><updated>2024-07-02T05:00:00Z</updated></entry></feed>"""
    (request,) = spider.parse_feed(xml_response(BASE + "/feed/atom/", body))
    assert request.meta["listed_time"] == "2024-06-30T09:00:00+08:00"


def test_a_feed_time_on_another_day_than_the_page_leaves_the_date_alone() -> None:
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from newsspider.loaders import load_article
    from newsspider.sites.bannedbook import SITE as BANNEDBOOK

    url = "https://www.bannedbook.org/bnews/worldnews/20240621/2052600.html"
    page = (Path(__file__).parent / "fixtures" / "article-fragment.html").read_bytes()
    for listed, expected in (
        ("2024-06-21T09:30:00+08:00", "2024-06-21T09:30:00+08:00"),
        ("2024-06-22T09:30:00+08:00", None),
    ):
        response = HtmlResponse(url, body=page, encoding="utf-8", request=Request(url, meta={"listed_time": listed}))
        item = load_article(response, BANNEDBOOK)
        if expected is None:
            assert "T" not in item.datePublished  # the page's own date stays
        else:
            assert item.datePublished == expected


def test_the_state_cache_is_least_recently_used_and_prefetch_caches_misses(tmp_path: Path, monkeypatch) -> None:
    from newsspider.extensions import CrawlState, crawlstate

    monkeypatch.setattr(crawlstate, "CACHE_SIZE", 2)
    crawler = project_crawler(NEWSSPIDER_STATE_ENABLED=True, NEWSSPIDER_STATE_URI=f"sqlite:///{tmp_path}/s.sqlite3")
    BannedbookSpider.from_crawler(crawler, start_urls=BASE + "/")
    state = crawler.get_extension(CrawlState)
    calls: list = []
    real_get = state.store.get
    state.store.get = lambda spider, ids: calls.append(list(ids)) or real_get(spider, ids)
    for article_id in ("a", "b", "a", "c", "a"):
        state.is_held(article_id)
    assert calls == [["a"], ["b"], ["c"]]  # "a" was used again before "c" came: "b" left, not "a"
    calls.clear()
    state.prefetch(["x", "y"])
    state.is_held("x")
    assert calls == [["x", "y"]]  # an article the store does not hold is known missing, not asked again
    state.store.close()


def test_fetched_after_is_true_at_the_very_moment_of_the_fetch(tmp_path: Path) -> None:
    from datetime import timedelta

    from newsspider.extensions import CrawlState
    from newsspider.state.base import StateChanges

    crawler = project_crawler(
        NEWSSPIDER_STATE_ENABLED=True,
        NEWSSPIDER_STATE_URI=f"sqlite:///{tmp_path}/s.sqlite3",
        NEWSSPIDER_NOW="2030-01-01T00:00:00Z",
    )
    BannedbookSpider.from_crawler(crawler, start_urls=BASE + "/")
    state = crawler.get_extension(CrawlState)
    state.store.apply("bannedbook", StateChanges({}, {"7": ("u", "2030-01-01T00:00:00.000000Z")}, {}), "x")
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    assert state.fetched_after("7", moment)  # a lastmod equal to the fetch: nothing changed since
    assert not state.fetched_after("7", moment + timedelta(microseconds=1))
    state.store.close()


def test_a_sitemap_read_keeps_its_latest_lastmod_in_sqlite(tmp_path: Path) -> None:
    from newsspider.state.sqlite import SqliteStateStore

    store = SqliteStateStore(tmp_path / "s.sqlite3")
    store.note_sitemaps_read("bannedbook", {"u": "2030-01-02"})
    store.note_sitemaps_read("bannedbook", {"u": "2030-01-01", "v": "2030-01-01"})
    assert store.sitemaps_read("bannedbook") == {"u": "2030-01-02", "v": "2030-01-01"}
    assert store.sitemaps_read("other") == {}
    store.close()


def test_unpacking_a_gzip_bomb_stops_at_the_cap_in_memory_too() -> None:
    import tracemalloc

    answer, _ = FaultPlan(SampleSite()).respond("/post-sitemap-archive.xml.gz", BASE)
    tracemalloc.start()
    try:
        with pytest.raises(discovery.TooLarge):
            discovery.unpack(answer.body, 1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024  # the bomb is 64 MiB unzipped
