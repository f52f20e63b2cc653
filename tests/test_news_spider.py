"""``scrapy crawl news``: a site with no file, crawled from its front page alone. The sample site's
two templates, their site files unused: the articles are found (at least 95%), and no listing, tag,
author or other page that is no article is emitted as one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsspider import sites
from newsspider.samplesite.generator import SampleSite
from tests.conftest import LOOPBACK_SETTINGS, PROJECT, SampleServerProcess, subprocess_env

ARTICLES = 60
FRONT_PAGE = {"bannedbook": "/", "rfi": "/cn/"}


def news_crawl(tmp: Path, start_url: str, *args: str) -> tuple[int, list[dict], dict]:
    settings = {
        **LOOPBACK_SETTINGS,
        "NEWSSPIDER_STATE_URI": f"sqlite:///{tmp / 'state.sqlite3'}",
        "NEWSSPIDER_DEFAULT_FEED": str(tmp / "out" / "%(run_id)s.jsonl"),
        "NEWSSPIDER_ARCHIVE_DIR": str(tmp / "warc"),
        "LOG_FILE": str(tmp / "crawl.log"),
    }
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "news",
        "-a",
        f"start_urls={start_url}",
        "-a",
        "discover=listings,feeds,sitemaps",
    ]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    before = set((tmp / "out").glob("*.jsonl")) if (tmp / "out").exists() else set()
    result = subprocess.run(
        command,
        cwd=PROJECT,
        env=subprocess_env(),
        capture_output=True,
        timeout=300,
    )
    (feed,) = set((tmp / "out").glob("*.jsonl")) - before
    report = json.loads(feed.with_name(feed.stem + ".report.json").read_text("utf-8"))
    return result.returncode, [json.loads(line) for line in feed.read_text("utf-8").splitlines()], report


@pytest.fixture(scope="module", params=["bannedbook", "rfi"])
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    name = request.param
    tmp = tmp_path_factory.mktemp(f"news-{name}")
    server = SampleServerProcess(tmp / "requests.log", articles=ARTICLES, site=name)
    try:
        status, records, report = news_crawl(tmp, server.base_url + FRONT_PAGE[name])
        again = news_crawl(tmp, server.base_url + FRONT_PAGE[name])
    finally:
        server.stop()
    return {"name": name, "status": status, "records": records, "report": report, "again": again}


def test_the_articles_are_found_from_the_front_page(crawled: dict) -> None:
    site = SampleSite(articles=ARTICLES, site=crawled["name"])
    rule = sites.get(crawled["name"]).parse_article_url  # the site file, used only to check the crawl
    found = {parsed.article_id for r in crawled["records"] if (parsed := rule(r["url"]))}
    assert crawled["status"] == 0 and crawled["report"]["verdict"] == "ok", crawled["report"]["alarms"]
    assert len(found & set(site.public_ids)) >= 0.95 * len(site.public_ids)
    assert {r["extraction"] for r in crawled["records"]} == {"generic"}
    assert {r["metadata"]["spider"] for r in crawled["records"]} == {"news"}


def test_no_page_that_is_no_article_is_emitted(crawled: dict) -> None:
    rule = sites.get(crawled["name"]).parse_article_url
    assert [r["url"] for r in crawled["records"] if rule(r["url"]) is None] == []
    ids = [r["articleId"] for r in crawled["records"]]
    assert len(ids) == len(set(ids))  # one record per URL's id


def test_an_incremental_run_emits_nothing_new(crawled: dict) -> None:
    status, records, report = crawled["again"]
    assert status == 0 and records == [], report["alarms"]


def test_the_news_spider_needs_start_urls() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news"],
        cwd=PROJECT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "-a start_urls=" in result.stderr
