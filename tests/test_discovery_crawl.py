"""Crawls started from feeds and sitemaps, and the refresh policy they drive, on the sample site.

Each test runs `scrapy crawl <site>` as cron would (same state, one output file per run) and
tells each run the time with NEWSSPIDER_NOW; the site publishes and edits articles in between.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsspider.samplesite.faults import FAULT_KINDS, FaultPlan
from newsspider.samplesite.generator import SampleSite
from tests.conftest import (
    LOOPBACK_SETTINGS,
    SMALL_SITE,
    SampleServerProcess,
    crawl_command,
    only_site,
    subprocess_env,
)
from tests.test_reliability import SETTINGS as RELIABILITY
from tests.test_scheduled import ScheduledCrawls

# The fault matrix's tuning (short timeouts, relaxed coverage alarms), the crawl state kept on.
TUNING = {k: v for k, v in RELIABILITY.items() if k.startswith(("DOWNLOAD_T", "NEWSSPIDER_RETRY", "NEWSSPIDER_AL"))}
DAY = "2030-03-10"  # when the test's new articles are published: the site's own are years older


def at(day: int, hour: int, minute: int = 0) -> str:
    """A time ``day`` days after DAY, as NEWSSPIDER_NOW and the site's edit times take it."""
    return f"{date.fromisoformat(DAY).replace(day=10 + day).isoformat()}T{hour:02d}:{minute:02d}:00+00:00"


class DiscoveryCrawls(ScheduledCrawls):
    """Scheduled crawls from given start URLs with spider arguments (``-a discover=...``)."""

    def __init__(self, server: SampleServerProcess, workdir: Path, start_urls: list[str], *args: str, **settings):
        super().__init__(server, workdir, **{**LOOPBACK_SETTINGS, **settings})
        self.start_urls = start_urls
        self.args = list(args)

    def command(self, **settings) -> list[str]:
        command = crawl_command(self.start_urls, {**self.settings, **settings}, spider=self.server.site)
        for arg in self.args:
            command[command.index("-a") : command.index("-a")] = ["-a", arg]
        return command


def comparable(record: dict) -> dict:
    """A record without what varies by run: download time and the entry's HTML."""
    got = {**record, "metadata": {**record["metadata"], "dateDownloaded": None, "version": None, "previousHash": None}}
    got.pop("articleBodyHtml")
    return got


def expected(site: SampleSite, base: str, article_id: str, **changes: object) -> dict:
    want = {k: v for k, v in site.expected_record(article_id, base).items() if k != "articleBodyHtml"}
    return {**want, **changes}


def article_ids(site: SampleSite, paths: list[str]) -> list[str]:
    """The ids of the article pages among requested ``paths`` (any edition)."""
    return [aid for aid in map(site.template.article_id_at, paths) if aid]


def other_pages(site: SampleSite, paths: list[str]) -> set[str]:
    """The requested ``paths`` that are no article page and no robots.txt."""
    return {p for p in paths if not site.template.article_id_at(p)} - {"/robots.txt"}


def index_entries(site: SampleSite) -> int:
    """The sitemaps the sitemap index lists, article sitemaps or not."""
    _, _, body = site.render(site.template.fault_markup.sitemap_index, "http://127.0.0.1")
    return body.count("<sitemap>")


def test_a_feed_started_run_emits_exactly_the_feeds_articles_once(site: str, tmp_path: Path) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE, site=site)
    try:
        section = server.model().template.sections[1]
        feed_path = server.model().template.feed_path(section)
        crawls = DiscoveryCrawls(server, tmp_path, [server.base_url + feed_path], "related_depth=0")
        status, records, report = crawls.run()
        site = crawls.site
        listed = [a.article_id for a in site.feed_entries(section)]
        assert status == 0 and report["verdict"] == "ok"
        assert sorted(r["articleId"] for r in records) == sorted(listed)  # each once
        for record in records:
            # A page that shows only its date gets the feed's time (in the site's zone).
            want = expected(site, server.base_url, record["articleId"])
            if "T" not in want["datePublished"]:
                want["datePublished"] = want["datePublishedRaw"] = site.expected_feed_date(record["articleId"])
            assert comparable(record) == want, record["articleId"]
        if server.site == "bannedbook":  # only its pages show a date without a time
            assert any("T" not in site.expected_record(a, server.base_url)["datePublished"] for a in listed)
        paths = server.requested_paths()
        assert other_pages(site, paths) == {feed_path}  # no listing
        assert sorted(article_ids(site, paths)) == sorted(listed)
        assert report["pagesRequested"]["feed"] == 1
    finally:
        server.stop()


def test_a_feedburner_feed_on_another_host_brings_the_sites_articles_and_nothing_else_from_its_host(
    tmp_path: Path,
) -> None:
    # bannedbook alone: only its feeds are served by FeedBurner too.
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE)
    try:
        # "localhost" stands for feeds.feedburner.com: another host name for the same server.
        port = urlsplit(server.base_url).port
        feed = f"http://localhost:{port}/feedburner/bnews/headline"
        crawls = DiscoveryCrawls(
            server,
            tmp_path,
            [feed],
            "related_depth=0",
            NEWSSPIDER_FEED_HOSTS="localhost",
            NEWSSPIDER_SITE_URL=server.base_url,
        )
        status, records, report = crawls.run()
        listed = sorted(a.article_id for a in crawls.site.feed_entries("headline"))
        assert status == 0 and report["verdict"] == "ok"
        assert sorted(r["articleId"] for r in records) == listed
        assert all(r["url"].startswith(server.base_url + "/bnews/") for r in records)
        paths = server.requested_paths()
        # The feed host is asked for the feed alone (not even its robots.txt: the crawl stays off it).
        assert [p for p in paths if p.startswith("//")] == [f"//localhost:{port}/feedburner/bnews/headline"]
        assert sorted(article_ids(crawls.site, paths)) == listed
    finally:
        server.stop()


def test_a_sitemap_started_archive_crawl_emits_every_article_once_without_listings_within_the_queue_bound(
    site: str, tmp_path: Path
) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE, sitemap_size=8, site=site)
    try:
        site = server.model()
        starts = [server.base_url + site.template.listing_path(section) for section in site.template.sections[:2]]
        crawls = DiscoveryCrawls(server, tmp_path, starts, "discover=sitemaps", NEWSSPIDER_SITEMAP_QUEUE=1)
        status, records, report = crawls.run()
        index = site.template.fault_markup.sitemap_index
        in_sitemaps = {a.article_id for a in site.sitemap_articles() if a.kind != "disallowed"}
        assert status == 0 and report["verdict"] == "ok"
        ids = [r["articleId"] for r in records]
        assert len(ids) == len(set(ids)) and set(ids) == in_sitemaps
        assert set(site.public_ids) <= set(ids)  # listed, orphaned and mirror-only articles alike
        for record in records:
            assert comparable(record) == expected(site, server.base_url, record["articleId"]), record["articleId"]
        paths = server.requested_paths()
        sitemaps = [p for p in paths if "sitemap" in p]
        assert sitemaps == [index, *site.sitemap_paths()]  # once each, in the index's order
        assert other_pages(site, paths) == set(sitemaps)  # no listing
        assert any(p.endswith(".gz") for p in sitemaps)
        articles = [p for p in paths if site.template.article_id_at(p)]
        assert len(articles) == len(set(articles))  # each page once (the robots.txt-forbidden one never)
        assert report["queue"]["maxQueued"] <= 1
        skipped = index_entries(site) - len(site.sitemap_paths())  # bannedbook's page and category sitemaps
        assert skipped > 0 and report["discovery"]["sitemaps"]["skipped_no_articles"] == skipped
        # rfi: traditional-only articles' related lists link the traditional pages of articles the
        # sitemaps list as simplified; each such page is read in the simplified edition instead, and
        # re-extraction of the run's archive keeps the same one record per article.
        other_edition = report["editions"]["readInHomeEdition"]
        assert other_edition > 0 if site.template.spider == "rfi" else other_edition == 0
        again = tmp_path / "again.jsonl"
        command = [sys.executable, "-m", "newsspider", "reextract", str(crawls.output / "warc"), "-o", str(again)]
        result = subprocess.run([*command, "--spider", site.template.spider], env=subprocess_env(), timeout=300)
        assert result.returncode == 0
        assert sorted(json.loads(line)["articleId"] for line in again.read_text("utf-8").splitlines()) == sorted(ids)
        counts = json.loads((tmp_path / "again.report.json").read_text("utf-8"))["counts"]
        assert counts.get("skipped/other_edition", 0) == other_edition

        # The next run reads the index only: no sitemap changed, no article is new.
        seen = len(server.requested_paths())
        status, again, report = crawls.run()
        assert status == 0 and again == []
        assert [p for p in server.requested_paths()[seen:] if p != "/robots.txt"] == [index]
        assert report["discovery"]["sitemaps"]["unchanged"] == len(site.sitemap_paths())
    finally:
        server.stop()


def test_an_hourly_run_emits_exactly_the_new_and_edited_articles_old_ones_through_lastmod(
    site: str, tmp_path: Path
) -> None:
    """5 publishes and 3 edits (2 recent, 1 two years old); the next hourly run, with default
    settings and the README's hourly discovery, emits exactly those 8 with the right versions."""
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE, sitemap_size=8, site=site)
    try:
        site = server.model()
        crawls = DiscoveryCrawls(server, tmp_path, site.start_urls(server.base_url), "discover=listings,sitemaps")
        recent = server.admin("publish", 2, day=DAY)
        status, first, _ = crawls.run(NEWSSPIDER_NOW=at(1, 1))
        assert status == 0 and set(recent) <= {r["articleId"] for r in first}
        old = site.sitemap_articles()[0].article_id  # the oldest post, years before DAY

        new = server.admin("publish", 5, day=DAY)
        edited = server.admin("edit", 3, ids=[*recent, old], at=at(1, 1, 30))
        seen = len(server.requested_paths())
        status, second, report = crawls.run(NEWSSPIDER_NOW=at(1, 2))  # an hour after the first run
        assert status == 0 and report["verdict"] == "ok"
        got = sorted((r["articleId"], r["metadata"]["version"]) for r in second)
        assert got == sorted([*((a, 1) for a in new), *((a, 2) for a in edited)])
        # Only sitemaps whose index lastmod changed were read again.
        index = site.template.fault_markup.sitemap_index
        sitemaps = [p for p in server.requested_paths()[seen:] if "sitemap" in p and p != index]
        assert 0 < len(sitemaps) < len(site.sitemap_paths())

        # Without sitemaps, the old article's edit is not caught: only lastmod tells of it.
        crawls.args = []
        server.admin("edit", 1, ids=[old], at=at(1, 2, 30))
        status, third, _ = crawls.run(NEWSSPIDER_NOW=at(1, 3))
        assert status == 0 and old not in {r["articleId"] for r in third}
        crawls.args = ["discover=sitemaps"]
        status, fourth, _ = crawls.run(NEWSSPIDER_NOW=at(1, 4))
        assert status == 0 and [(r["articleId"], r["metadata"]["version"]) for r in fourth] == [(old, 3)]
    finally:
        server.stop()


def test_an_atom_feeds_updated_time_refreshes_an_old_article(site: str, tmp_path: Path) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE, site=site)
    try:
        template = server.model().template
        feed = server.base_url + template.atom_feed_path(template.sections[1])
        crawls = DiscoveryCrawls(server, tmp_path, [feed], "related_depth=0")
        status, first, _ = crawls.run(NEWSSPIDER_NOW=at(0, 8))
        assert status == 0 and first
        old = first[-1]["articleId"]  # published in 2024: the recent-article refresh never applies
        status, second, _ = crawls.run(NEWSSPIDER_NOW=at(0, 9))
        assert status == 0 and second == []
        server.admin("edit", 1, ids=[old], at=at(0, 9, 30))
        seen = len(server.requested_paths())
        status, third, _ = crawls.run(NEWSSPIDER_NOW=at(0, 10))
        assert status == 0 and [(r["articleId"], r["metadata"]["version"]) for r in third] == [(old, 2)]
        assert article_ids(crawls.site, server.requested_paths()[seen:]) == [old]
    finally:
        server.stop()


def test_a_malformed_feed_and_an_oversized_sitemap_are_reported_and_the_rest_is_crawled(
    site: str, tmp_path: Path
) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", faults=7, fault_log=tmp_path / "faults.jsonl", site=site)
    try:
        site = server.model()
        starts = site.start_urls(server.base_url)  # RFI's feed is its front page's
        crawls = DiscoveryCrawls(server, tmp_path, starts, "discover=feeds,sitemaps", "related_depth=0", **TUNING)
        status, records, report = crawls.run()
        failures = {(f["url"].replace(server.base_url, ""), f["reason"]) for f in report["failures"]["listings"]}
        plan = FaultPlan(site, seed=7)
        assert (plan.markup.malformed_feed, "feed_malformed") in failures
        assert (plan.markup.bomb_sitemap, "sitemap_too_large") in failures
        assert report["discovery"]["feeds"] == {"malformed": 1}
        assert report["discovery"]["sitemaps"]["too_large"] == 1
        # Every other article of the sitemaps is there, but for the pages whose faults lose them.
        lost = {a for a, kind in plan.by_article.items() if not FAULT_KINDS[kind]}
        wanted = {a.article_id for a in site.sitemap_articles() if a.kind != "disallowed"} - lost
        ids = [r["articleId"] for r in records]
        assert len(ids) == len(set(ids)) and set(ids) == wanted
        assert status == 0, report["alarms"]  # what could be read was: the run did its job
    finally:
        server.stop()


@pytest.fixture(scope="module")
def small_site(site: str, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"small-{site}")
    server = SampleServerProcess(folder / "requests.log", articles=SMALL_SITE, sitemap_size=8, site=site)
    yield server
    server.stop()


@pytest.mark.parametrize("n", [None, 0, 1])  # the index, its first sitemap and its second (gzipped on both sites)
def test_a_sitemap_or_index_given_as_start_url_is_read_and_the_run_ends(small_site, tmp_path: Path, n) -> None:
    site = small_site.model()
    if n is None:
        path = site.template.fault_markup.sitemap_index
        listed = {a.article_id for a in site.sitemap_articles()}
    else:
        path = site.sitemap_paths()[n]
        listed = {a.article_id for a in site.sitemap_articles()[n * 8 : (n + 1) * 8]}
    crawls = DiscoveryCrawls(small_site, tmp_path, [small_site.base_url + path], "related_depth=0")
    status, records, report = crawls.run()  # ScheduledCrawls.run has a timeout: a run that never ends fails
    assert status == 0 and report["finishReason"] == "finished"
    assert sorted(r["articleId"] for r in records) == sorted(
        listed - {a.article_id for a in site.articles.values() if a.kind == "disallowed"}
    )
    assert report["pagesRequested"]["listing"] == 0


@only_site("bannedbook")  # FeedBurner's feed URLs look like listings
def test_a_feed_at_a_url_that_looks_like_a_listing_is_read_as_a_feed(small_site, tmp_path: Path) -> None:
    crawls = DiscoveryCrawls(
        small_site, tmp_path, [f"{small_site.base_url}/feedburner/bnews/comments"], "related_depth=0"
    )
    status, records, report = crawls.run()
    assert status == 0 and report["pagesRequested"]["feed"] == 0 and report["pagesRequested"]["listing"] == 1
    assert sorted(r["articleId"] for r in records) == sorted(a.article_id for a in crawls.site.feed_entries("comments"))


@pytest.mark.parametrize(
    ("start", "settings"),
    [
        ("/page-sitemap.xml", {}),  # a sitemap of pages only
        ("//localhost/feedburner/bnews/comments", {"NEWSSPIDER_FEED_HOSTS": "localhost"}),  # links to another host
    ],
)
@only_site("bannedbook")  # the page sitemap and FeedBurner are bannedbook's
def test_a_run_whose_start_urls_lead_to_no_article_fails(small_site, tmp_path: Path, start: str, settings) -> None:
    port = urlsplit(small_site.base_url).port
    url = (
        f"http://localhost:{port}{start[len('//localhost') :]}"
        if start.startswith("//")
        else small_site.base_url + start
    )
    crawls = DiscoveryCrawls(small_site, tmp_path, [url], **settings)
    status, records, report = crawls.run()
    assert status == 3 and records == [] and report["verdict"] == "failed"
    assert "no_articles" in {alarm["check"] for alarm in report["alarms"]}


def test_a_bad_child_sitemap_is_reported_and_fails_no_start(site: str, tmp_path: Path) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", faults=7, site=site)
    template = server.model().template
    try:
        start = server.base_url + template.listing_path(template.sections[1])
        crawls = DiscoveryCrawls(server, tmp_path, [start], "discover=sitemaps", **TUNING)
        status, records, report = crawls.run()
    finally:
        server.stop()
    assert status == 0, report["alarms"]
    bomb = template.fault_markup.bomb_sitemap
    assert (f"{server.base_url}{bomb}", "sitemap_too_large") in {
        (f["url"], f["reason"]) for f in report["failures"]["listings"]
    }
    assert len(records) > 200


def test_a_feed_or_sitemap_start_url_answering_neither_is_reported_as_such() -> None:
    from scrapy.http import Request, TextResponse

    from tests.test_spider import make_spider

    spider = make_spider(start_urls="http://127.0.0.1:9/news-sitemap.xml")
    (request,) = spider._seed_requests()
    response = TextResponse(
        request.url,
        body=b"not xml",
        headers={"Content-Type": "text/plain"},
        request=Request(request.url, meta=request.meta),
    )
    assert list(spider.parse_start(response)) == []
    assert spider.failed_listings == [{"url": request.url, "reason": "sitemap_not_a_sitemap"}]
    assert spider.failed_starts == {request.url: "sitemap_not_a_sitemap"}
