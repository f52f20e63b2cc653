"""A real `scrapy crawl <site>` against the sample site served on 127.0.0.1 as that site, for each site."""

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator
from lxml import html as lxml_html

from newsspider.cleaning import text_lines
from newsspider.items import Article
from newsspider.pipelines import load_schema
from newsspider.samplesite.generator import SampleSite
from tests.conftest import PROJECT, crawl_command, only_site, subprocess_env
from tests.helpers import NON_ARTICLE_MARKERS


@pytest.fixture(scope="module")
def model(sample_server):
    return sample_server.model()


@pytest.fixture(scope="module")
def crawl(sample_server, model, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crawl")
    output, probe, log = tmp / "items.jsonl", tmp / "probe.json", tmp / "crawl.log"
    settings = {
        "DOWNLOADER_MIDDLEWARES": {"probe.RequestRecorder": 990},
        "PROBE_FILE": probe,
        "LOG_FILE": log,
        "NEWSSPIDER_STATE_ENABLED": False,
    }
    command = crawl_command(model.start_urls(sample_server.base_url), settings, output, spider=sample_server.site)
    default_feeds = set((PROJECT / "output").rglob("*.jsonl"))
    already_served = len(sample_server.requested_paths())
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return {
        "new_default_feeds": set((PROJECT / "output").rglob("*.jsonl")) - default_feeds,
        "lines": output.read_bytes().decode("utf-8").splitlines(),
        "probe": json.loads(probe.read_text("utf-8")),
        "log": log.read_text("utf-8"),
        "server_paths": sample_server.requested_paths()[already_served:],
    }


@pytest.fixture(scope="module")
def records(crawl):
    return [json.loads(line) for line in crawl["lines"]]


def test_every_expected_article_exactly_once(records, model):
    ids = [r["articleId"] for r in records]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(model.public_ids)


def test_records_are_exactly_the_expected_ones(records, model, sample_server):
    expected = model.expected_records(sample_server.base_url)
    for record in records:
        want = expected[record["articleId"]]
        got = {**record, "metadata": {**record["metadata"], "dateDownloaded": None}}
        html = got.pop("articleBodyHtml")
        want = {k: v for k, v in want.items() if k != "articleBodyHtml"}
        assert got == want, record["articleId"]
        # The HTML is the one the text was made from.
        assert (
            text_lines(lxml_html.fragment_fromstring(html, create_parent="div")) == record["articleBody"].splitlines()
        )


def test_every_record_validates_and_keeps_the_field_order(records):
    validator = Draft202012Validator(load_schema())
    order = [f.name for f in fields(Article)]
    for record in records:
        assert not list(validator.iter_errors(record)), record["articleId"]
        assert list(record) == order


def test_output_is_utf8_without_escapes(crawl):
    assert crawl["lines"]
    assert not any("\\u" in line for line in crawl["lines"])
    assert any("禁" in line or "的" in line for line in crawl["lines"])


def test_no_non_article_text_anywhere(records):
    for record in records:
        for marker in NON_ARTICLE_MARKERS:
            assert marker not in record["articleBody"], (record["articleId"], marker)
            assert marker not in record["articleBodyHtml"], (record["articleId"], marker)


def test_robots_disallowed_path_never_requested(crawl, model):
    assert "/robots.txt" in crawl["server_paths"]
    (disallowed,) = [a.path() for a in model.articles.values() if a.kind == "disallowed"]
    assert disallowed not in crawl["server_paths"]
    assert not any(u.endswith(disallowed) for u in crawl["probe"]["requests"])
    assert crawl["probe"]["stats"]["robotstxt/forbidden"] == 1


def test_no_request_to_another_host(crawl, sample_server):
    hosts = {urlsplit(u).netloc for u in crawl["probe"]["requests"]}
    assert hosts == {urlsplit(sample_server.base_url).netloc}
    # Offsite links were there to follow (promo lists, tags, github) and were not.
    assert len(crawl["probe"]["requests"]) == len(crawl["server_paths"])


def test_promo_and_ad_links_never_followed(crawl, model):
    promo = set(model.promo_ids())
    assert not any(model.template.article_id_at(p) in promo for p in crawl["server_paths"])


@only_site("bannedbook")  # RFI has no AMP view
def test_amp_links_never_followed(crawl):
    assert not any(p.endswith("/amp") or p.endswith("/amp/") for p in crawl["server_paths"])


def test_the_traditional_edition_is_fetched_for_the_articles_only_it_has(crawl, model):
    """bannedbook's two mirror-only articles are reached by falling back to the mirror; RFI's by
    the /tw/ links that name them (no fallback is made up: a /tw/ slug is not derived)."""
    tw_only = [a for a in model.articles.values() if a.kind == "tw_only"]
    traditional = {a.path(traditional=True) for a in model.articles.values()}
    assert {p for p in crawl["server_paths"] if p in traditional} == {a.path(traditional=True) for a in tw_only}
    fallbacks = len(tw_only) if model.spider == "bannedbook" else 0
    assert crawl["probe"]["stats"].get("newsspider/requests/article/fallback_traditional", 0) == fallbacks


def stripped_by_kind(model) -> dict[str, int]:
    """What cleaning strips from the articles, by kind, as each template writes them: bannedbook's
    promo list; RFI's ad interstitial, two self-promotions, share bar and header (section label,
    title, date line, and the byline when there is one)."""
    articles = [model.articles[a] for a in model.public_ids]
    if model.spider == "bannedbook":
        return {"promo": len(articles)}
    header = 3 * len(articles) + sum(bool(a.authors) for a in articles)
    return {"ads": len(articles), "promo": 2 * len(articles), "share": len(articles), "header": header}


def test_crawl_counts_and_clean_log(crawl, model):
    stats = crawl["probe"]["stats"]
    assert crawl["probe"]["reason"] == "finished"
    assert stats["newsspider/validate/valid"] == len(model.public_ids)
    assert stats["newsspider/dedupe/unique"] == len(model.public_ids)
    for kind, count in stripped_by_kind(model).items():
        assert stats[f"newsspider/clean/stripped/{kind}"] == count, kind
    assert not crawl["new_default_feeds"]  # -O replaced the default feed, as in any Scrapy project
    assert "Traceback" not in crawl["log"]
    assert "ERROR" not in crawl["log"] and "WARNING" not in crawl["log"]


@pytest.mark.parametrize("site", [None, "rfi"])
def test_demo_command_crawls_the_sample_site(tmp_path, site):
    chosen = ["--site", site] if site else []  # the default is bannedbook
    result = subprocess.run(
        [sys.executable, "-m", "newsspider", "demo", "--output", str(tmp_path), "--articles", "40", *chosen],
        cwd=PROJECT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    sample = SampleSite(articles=40, site=site or "bannedbook")
    (feed,) = (tmp_path / sample.spider).glob("*.jsonl")
    records = [json.loads(line) for line in feed.read_text("utf-8").splitlines()]
    assert sorted(r["articleId"] for r in records) == sorted(sample.public_ids)
    assert {r["site"] for r in records} == {"www.rfi.fr" if site else "www.bannedbook.org"}
    assert "missing: 0  unexpected: 0  duplicates: 0" in result.stdout
    # The terminal shows the result; the crawl's log is in the file the last line names.
    assert len((result.stdout + result.stderr).splitlines()) <= 10, result.stdout + result.stderr
    log = Path(result.stdout.strip().splitlines()[-1].removeprefix("full log: "))
    assert log.is_file() and "Spider closed (finished)" in log.read_text("utf-8")


def test_robots_txt_holds_for_every_request_waiting_for_it(tmp_path):
    """Many requests reach robots.txt handling before robots.txt arrives (several start URLs, a
    slow site): every one of them is checked. Scrapy 2.19 hands the rules to the first waiter only
    (newsspider.middlewares.RobotsTxtMiddleware.robot_parser)."""
    from tests.conftest import LOOPBACK_SETTINGS, SampleServerProcess

    server = SampleServerProcess(tmp_path / "requests.log", articles=40, delay=0.3)
    try:
        site = SampleSite(articles=40)
        listed = site.listed()[:6]
        disallowed = next(a for a in site.articles.values() if a.kind == "disallowed")
        starts = [server.base_url + a.path() for a in [*listed[:3], disallowed, *listed[3:]]]
        settings = {**LOOPBACK_SETTINGS, "NEWSSPIDER_STATE_ENABLED": False, "NEWSSPIDER_RELATED_DEPTH": 0}
        command = crawl_command(starts, settings, tmp_path / "out.jsonl")
        result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, timeout=120)
        assert result.returncode in (0, 3), result.stderr[-2000:]
        assert not any("/bnews/members/" in p for p in server.requested_paths())
    finally:
        server.stop()
