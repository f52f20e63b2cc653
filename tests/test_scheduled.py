"""Scheduled crawls against the sample site: incremental state, kills, drift alarm, pause/resume."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from newsspider import sites
from newsspider.commands.crawl import EXIT_FAILED_VERDICT
from newsspider.pipelines import load_schema
from newsspider.samplesite.generator import SampleSite
from tests.conftest import PROJECT, SampleServerProcess, crawl_command, subprocess_env

VALIDATOR = Draft202012Validator(load_schema())


class ScheduledCrawls:
    """Runs `scrapy crawl <site>` (the spider of the site the server imitates) the way cron would:
    same state, one output file per run."""

    def __init__(self, server: SampleServerProcess, workdir: Path, **settings):
        self.server = server
        self.output = workdir / "output" / server.site
        self.settings = {
            "NEWSSPIDER_STATE_URI": f"sqlite:///{workdir / 'state.sqlite3'}",
            "NEWSSPIDER_DEFAULT_FEED": str(workdir / "output" / "%(name)s" / "%(run_id)s.jsonl"),
            "LOG_FILE": workdir / "crawl.log",
            **settings,
        }
        self.site = server.model()

    def command(self, **settings) -> list[str]:
        start_urls = self.site.start_urls(self.server.base_url)
        return crawl_command(start_urls, {**self.settings, **settings}, spider=self.server.site)

    def run(self, **settings) -> tuple[int, list[dict], dict]:
        """One complete run: exit status, its records, its report."""
        before = self.runs()
        result = subprocess.run(self.command(**settings), cwd=PROJECT, env=subprocess_env(), timeout=600)
        (feed,) = [p for p in self.runs() if p not in before]
        report = json.loads(feed.with_name(feed.stem + ".report.json").read_text("utf-8"))
        return result.returncode, [json.loads(line) for line in feed.read_text("utf-8").splitlines()], report

    def start(self, **settings) -> subprocess.Popen:
        return subprocess.Popen(self.command(**settings), cwd=PROJECT, env=subprocess_env())

    def runs(self) -> list[Path]:
        return sorted(self.output.glob("*.jsonl")) if self.output.exists() else []

    def wait_for_lines(self, process: subprocess.Popen, count: int, known: set[Path]) -> Path:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            new = [p for p in self.runs() if p not in known]
            if new and new[0].read_bytes().count(b"\n") >= count:
                return new[0]
            assert process.poll() is None, "the crawl ended before it was interrupted"
            time.sleep(0.01)
        raise AssertionError(f"no {count} lines within 2 minutes")


def complete_records(path: Path, allow_torn_tail: bool) -> list[dict]:
    """Records of the complete lines; only a killed run may end in one torn line."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: empty unless the last line is torn
    if tail:
        assert allow_torn_tail, f"{path.name} ends in a torn line"
    records = [json.loads(line) for line in lines]  # every complete line is valid JSON
    for record in records:
        assert not list(VALIDATOR.iter_errors(record)), record["articleId"]
    return records


@pytest.fixture
def server(tmp_path, site):
    server = SampleServerProcess(tmp_path / "requests.log", site=site)
    yield server
    server.stop()


def article_paths(site: SampleSite, paths: list[str]) -> list[str]:
    """The article pages (any edition or view) among requested paths, as the site's template tells them
    (``site`` knows the articles published since the server started: rfi's paths are told by slug)."""
    return [p for p in paths if site.template.article_id_at(p) is not None]


def test_incremental_runs_emit_only_new_and_changed(server, tmp_path):
    crawls = ScheduledCrawls(server, tmp_path)
    expected_ids = set(crawls.site.public_ids)

    status, records, report = crawls.run()
    assert status == 0 and report["verdict"] == "ok"
    assert {r["articleId"] for r in records} == expected_ids and len(records) == len(expected_ids)
    assert {r["metadata"]["version"] for r in records} == {1}
    assert {r["metadata"]["previousHash"] for r in records} == {None}
    assert report["records"]["new"] == len(expected_ids)
    # Every article page once, plus, where the site derives the other edition's URL (bannedbook), the
    # simplified pages of the articles only that edition has, which 404 before their mirror is tried.
    tw_only = sum(1 for a in crawls.site.articles.values() if a.kind == "tw_only")
    probe = server.base_url + crawls.site.articles[crawls.site.public_ids[0]].path()
    fallbacks = tw_only if sites.get(server.site).article_url(probe, traditional=True) else 0
    assert report["pagesRequested"]["article"] + report["pagesRequested"]["related"] == len(expected_ids) + fallbacks
    assert report["httpErrors"] == ({"404": fallbacks} if fallbacks else {})
    first_hash = {r["articleId"]: r["metadata"]["contentHash"] for r in records}

    seen = len(server.requested_paths())
    status, records, report = crawls.run()
    run2_paths = server.requested_paths()[seen:]
    assert status == 0 and records == []
    assert article_paths(crawls.site, run2_paths) == []  # no known article page requested
    # robots.txt and one or two pages per listing (worldnews' first page links to a robots.txt-forbidden
    # article that is never held, so that listing goes on to its second page).
    assert len(run2_paths) <= 1 + 2 * 5, run2_paths
    assert not any("/page/3/" in p or "page=3" in p for p in run2_paths)
    assert report["pagesRequested"]["article"] == 0 and report["pagesRequested"]["related"] == 0

    published = server.admin("publish", 5)
    moment = datetime.now(UTC).replace(microsecond=0)  # one edit time for the server and the expected records
    edited = server.admin("edit", 3, at=moment.isoformat())
    crawls.site.publish(5), crawls.site.edit(3, at=moment)  # the same changes, to know the expected records
    seen = len(server.requested_paths())
    status, records, report = crawls.run(NEWSSPIDER_REFRESH_AFTER=0)
    run3_paths = server.requested_paths()[seen:]
    assert status == 0
    assert sorted(r["articleId"] for r in records) == sorted(published + edited)
    for record in records:
        version = record["metadata"]["version"]
        if record["articleId"] in edited:
            assert version == 2 and record["metadata"]["previousHash"] == first_hash[record["articleId"]]
        else:
            assert version == 1 and record["metadata"]["previousHash"] is None
        expected = crawls.site.expected_record(record["articleId"], server.base_url)
        got = {**record, "articleBodyHtml": None, "metadata": {**record["metadata"], "dateDownloaded": None}}
        expected["metadata"].update(version=version, previousHash=record["metadata"]["previousHash"])
        assert got == expected
    assert report["records"] | {"new": 5, "changed": 3} == report["records"]
    listing_pages = [p for p in run3_paths if p not in article_paths(crawls.site, run3_paths) and p != "/robots.txt"]
    assert len(listing_pages) <= 2 * 5  # pagination stopped early: at most two pages per listing
    assert not any("/page/3/" in p or "page=3" in p for p in listing_pages)


def test_killed_runs_lose_nothing_and_repeat_nothing(server, tmp_path):
    crawls = ScheduledCrawls(server, tmp_path, CONCURRENT_REQUESTS=4)
    for kill_after in (3, 60, 170):
        process = crawls.start()
        crawls.wait_for_lines(process, kill_after, set(crawls.runs()))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    status, _, report = crawls.run()
    assert status == 0
    assert report["verdict"] == "ok"

    runs = crawls.runs()
    assert len(runs) == 4
    emitted = [r["articleId"] for path in runs[:-1] for r in complete_records(path, allow_torn_tail=True)]
    emitted += [r["articleId"] for r in complete_records(runs[-1], allow_torn_tail=False)]
    assert sorted(emitted) == sorted(crawls.site.public_ids)  # every article exactly once
    assert "did not finish" in (tmp_path / "crawl.log").read_text("utf-8")


def test_drift_alarm_fails_the_run_and_the_articles_are_kept(tmp_path):
    server = SampleServerProcess(tmp_path / "requests.log", variant="drifted-headline")
    try:
        crawls = ScheduledCrawls(server, tmp_path)
        status, records, report = crawls.run()
    finally:
        server.stop()
    # The title left its element and og:title went: the page's own h1 still names it.
    assert status == EXIT_FAILED_VERDICT and report["verdict"] == "failed"
    assert sorted(r["articleId"] for r in records) == sorted(crawls.site.public_ids)
    assert all(r["extraction"] == "generic" and r["headline"] for r in records)
    assert report["extraction"]["selectorsFailed"] == {"no_headline": len(records)}
    assert "generic_share" in {alarm["check"] for alarm in report["alarms"]}
    assert "Drift alarm: " in (tmp_path / "crawl.log").read_text("utf-8")


def test_drift_alarm_without_the_fallback_drops_the_articles(tmp_path):
    server = SampleServerProcess(tmp_path / "requests.log", variant="drifted-headline")
    try:
        crawls = ScheduledCrawls(server, tmp_path, NEWSSPIDER_GENERIC_FALLBACK=False)
        status, records, report = crawls.run()
    finally:
        server.stop()
    assert status == EXIT_FAILED_VERDICT
    assert records == []
    assert report["verdict"] == "failed"
    assert report["coverage"]["headline"] == 0.0 and report["coverage"]["articlePages"] > 20
    checks = {alarm["check"] for alarm in report["alarms"]}
    assert {"coverage.headline", "dropped_share", "zero_records"} <= checks
    assert report["records"]["droppedInvalid"]["missing_headline"] == report["coverage"]["articlePages"]
    log = (tmp_path / "crawl.log").read_text("utf-8")
    assert "Drift alarm: headline coverage 0.000 is below 0.98" in log


def test_pause_and_resume_with_jobdir(server, tmp_path):
    crawls = ScheduledCrawls(server, tmp_path, JOBDIR=tmp_path / "job", CONCURRENT_REQUESTS=2)
    process = crawls.start()
    crawls.wait_for_lines(process, 40, set())
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 0
    (first,) = crawls.runs()
    first_report = json.loads(first.with_name(first.stem + ".report.json").read_text("utf-8"))
    assert first_report["finishReason"] == "shutdown"
    status, records, report = crawls.run(JOBDIR=tmp_path / "job", CONCURRENT_REQUESTS=2)
    assert status == 0 and report["finishReason"] == "finished"
    emitted = [r["articleId"] for r in complete_records(first, allow_torn_tail=False)] + [
        r["articleId"] for r in records
    ]
    assert 40 <= len(complete_records(first, allow_torn_tail=False)) < len(crawls.site.public_ids)
    assert sorted(emitted) == sorted(crawls.site.public_ids)
