"""Runs whose exit status tells the truth, refuse bad input in one line, and stay in bounds: real
`scrapy crawl` subprocesses against the sample site."""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import quote

import pytest

from newsspider import sites
from tests.conftest import PROJECT, SampleServerProcess, subprocess_env
from tests.runs import SMALL, Runs, ids, reachable, refused

# A page of each site that links no article: bannedbook's home page, RFI's live page.
NO_ARTICLE_PAGE = {"bannedbook": "/", "rfi": quote("/cn/直播")}

# --- the exit status tells the truth ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        ("http://127.0.0.1:1{listing}", "DownloadConnectionRefusedError"),
        ("{base}{listing}nosuch/", "http_404"),
        ("{base}{no_articles}", "no_article_links"),
    ],
    ids=["dead-site", "listing-404", "page-without-articles"],
)
def test_a_run_whose_start_urls_all_failed_fails(small, tmp_path, start, reason):
    runs = Runs(small, tmp_path, RETRY_TIMES=0, NEWSSPIDER_STATE_ENABLED=False)
    listing = runs.start_urls[0].removeprefix(small.base_url)
    start_url = start.format(base=small.base_url, listing=listing, no_articles=NO_ARTICLE_PAGE[small.site])
    result = subprocess.run(
        runs.command("-o", str(tmp_path / "out.jsonl"), start_urls=[start_url]),
        cwd=PROJECT,
        env=subprocess_env(),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 3
    report = runs.last_report()
    assert report["verdict"] == "failed"
    assert {"start_urls", "no_pages"} <= {a["check"] for a in report["alarms"]}
    assert report["failures"]["listings"] == [{"url": start_url, "reason": reason}]


def test_the_exit_status_does_not_depend_on_writing_the_report(small, tmp_path):
    runs = Runs(small, tmp_path, NEWSSPIDER_STATE_ENABLED=False, NEWSSPIDER_REPORT_ENABLED=False)
    command = runs.command("-o", str(tmp_path / "out.jsonl"), start_urls=[f"{runs.start_urls[0]}nosuch/"])
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, timeout=120)
    assert result.returncode == 3
    assert not list(tmp_path.rglob("*.report.json"))
    assert "Run failed: all 1 start URLs failed" in (tmp_path / "crawl.log").read_text("utf-8")


def test_a_site_answering_with_bot_challenges_fails_as_blocked(site, tmp_path):
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL, blocked=True, site=site)
    try:
        runs = Runs(server, tmp_path, NEWSSPIDER_STATE_ENABLED=False)
        model = server.model()
        article = model.listing(model.template.sections[0])[0]
        urls = [*runs.start_urls, f"{server.base_url}{article.path()}"]
        command = runs.command("-o", str(tmp_path / "out.jsonl"), start_urls=urls)
        result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, timeout=120)
    finally:
        server.stop()
    assert result.returncode == 3
    report = runs.last_report()
    (alarm,) = [a for a in report["alarms"] if a["check"] == "blocked"]
    assert alarm["message"].startswith("blocked:")
    assert report["records"]["emitted"] == 0 and report["coverage"]["articlePages"] == 0  # never parsed
    assert report["failures"]["listings"] == [{"url": runs.start_urls[0], "reason": "blocked"}]
    assert [f["reason"] for f in report["failures"]["articles"]] == ["blocked"]
    assert report["pagesRequested"]["blocked"] == 2


def test_a_crawl_stops_after_too_many_challenges_in_a_row(site, tmp_path):
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL, blocked=True, site=site)
    try:
        runs = Runs(server, tmp_path, NEWSSPIDER_STATE_ENABLED=False, NEWSSPIDER_BLOCKED_STOP_AFTER=2)
        template = server.model().template
        listings = [server.base_url + template.listing_path(section) for section in template.sections]
        command = runs.command("-o", str(tmp_path / "out.jsonl"), "-s", "CONCURRENT_REQUESTS=1", start_urls=listings)
        result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, timeout=120)
    finally:
        server.stop()
    assert result.returncode == 3
    report = runs.last_report()
    assert report["finishReason"] == "blocked"  # robots.txt and the first listing: then it stopped asking
    assert report["pagesRequested"]["listing"] < len(listings)


# --- clean errors for bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["-a", "max_pages=abc"], "argument max_pages='abc'"),
        (["-a", "related_depth=deep"], "argument related_depth='deep'"),
        (["-a", "maxpages=2"], "unknown argument maxpages"),
        (["-s", "NEWSSPIDER_STRIP_SELECTORS={bad json"], "setting NEWSSPIDER_STRIP_SELECTORS='{bad json'"),
        (["-s", "NEWSSPIDER_REFRESH_AFTER=abc"], "setting NEWSSPIDER_REFRESH_AFTER='abc': expected seconds"),
        (["-s", "NEWSSPIDER_REFESH_AFTER=60"], "unknown setting NEWSSPIDER_REFESH_AFTER"),
        (["-s", "NEWSSPIDER_STATE_URI=redis://x/0"], "setting NEWSSPIDER_STATE_URI='redis://x/0'"),
        (["-s", "NEWSSPIDER_STATE_URI=sqlite:////tmp/%(nope)s.db"], "setting NEWSSPIDER_STATE_URI="),
        (["-o", "/tmp/%(nope)s.jsonl"], "output /tmp/%(nope)s.jsonl: cannot fill in its %-placeholders"),
        (["-s", "NEWSSPIDER_REPORT_URI=/proc/none/%(run_id)s.json"], "setting NEWSSPIDER_REPORT_URI="),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(small, tmp_path, args, named):
    before = len(small.requested_paths())
    refused(Runs(small, tmp_path).run(*args), 2, named)
    assert len(small.requested_paths()) == before


def start_command(server) -> list[str]:
    """``scrapy crawl`` of the server's site from its first section listing, the log on stderr."""
    template = server.model().template
    start = server.base_url + template.listing_path(template.sections[0])
    return [sys.executable, "-m", "scrapy", "crawl", server.site, "-a", f"start_urls={start}"]


@pytest.mark.parametrize(
    "args",
    [["-a", "max_pages=abc"], ["-s", "NEWSSPIDER_PROGRESS_INTERVAL=-1"], ["-o", "/proc/none/out.jsonl"]],
)
def test_with_the_log_on_stderr_a_refusal_is_the_only_line(small, tmp_path, args):
    """Scrapy's start-up lines (banner, versions, add-ons) wait until the crawl has started: a run
    refused before that shows its one line and nothing else."""
    command = start_command(small)
    command += ["-s", f"NEWSSPIDER_STATE_URI=sqlite:///{tmp_path / 's.sqlite3'}", *args]
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("newsspider: error: ")


def test_a_crawl_that_starts_shows_scrapys_start_up_lines_in_their_order(small, tmp_path):
    command = start_command(small)
    command += ["-s", f"NEWSSPIDER_STATE_URI=sqlite:///{tmp_path / 's.sqlite3'}", "-a", "max_pages=1"]
    command += ["-a", "related_depth=0", "-O", str(tmp_path / "out.jsonl")]
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    loggers = re.findall(r"^\S+ \S+ \[([\w.]+)\] INFO: ", result.stderr, re.M)
    assert loggers[:2] == ["scrapy.utils.log", "scrapy.utils.log"]  # "Scrapy ... started", "Versions:"
    assert loggers.index("scrapy.crawler") < loggers.index("scrapy.core.engine")  # then the rest, in order


def test_empty_start_urls_are_an_error_not_the_real_site(site, tmp_path):
    command = [sys.executable, "-m", "scrapy", "crawl", site, "-a", "start_urls="]
    command += ["-s", f"NEWSSPIDER_STATE_URI=sqlite:///{tmp_path / 's.sqlite3'}", "-s", "LOG_LEVEL=INFO"]
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, timeout=120)
    refused(result, 2, "argument start_urls=''")
    real_host = sites.get(site).root.split("//", 1)[1].encode()
    assert real_host not in result.stderr.split(b"newsspider: error:")[0]


def test_a_corrupt_state_names_the_file_and_how_to_recover(small, tmp_path):
    runs = Runs(small, tmp_path)
    runs.state.write_bytes(b"this is not a database" * 100)
    line = refused(runs.run(), 2, str(runs.state), "corrupt", "move it aside")
    assert "fresh state" in line
    assert not list((tmp_path / "output").glob("*.jsonl"))  # refused: no output file left behind


# --- bounded scope ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_320(sample_server):
    return sample_server.model()


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_max_pages_and_related_depth_bound_the_crawl(sample_server, site_320, tmp_path, depth):
    section = site_320.template.sections[1]
    runs = Runs(sample_server, tmp_path, section=section, NEWSSPIDER_STATE_ENABLED=False)
    output = tmp_path / "out.jsonl"
    assert runs.run("-o", str(output), "-a", "max_pages=1", "-a", f"related_depth={depth}").returncode == 0
    assert sorted(ids(output)) == sorted(reachable(site_320, section, pages=1, depth=depth))


def test_an_article_start_url_yields_it_and_its_related_articles(sample_server, site_320, tmp_path):
    article = site_320.listing(site_320.template.sections[3])[4]
    runs = Runs(sample_server, tmp_path, NEWSSPIDER_STATE_ENABLED=False)
    output = tmp_path / "out.jsonl"
    command = runs.command("-o", str(output), start_urls=[f"{sample_server.base_url}{article.path()}"])
    assert subprocess.run(command, cwd=PROJECT, env=subprocess_env(), timeout=120).returncode == 0
    assert sorted(ids(output)) == sorted({article.article_id, *(rid for rid, _ in article.related)})


def test_an_unknown_spider_is_one_line_and_exit_2() -> None:
    command = [sys.executable, "-m", "scrapy", "crawl", "bannedbok"]
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "newsspider: error: no spider 'bannedbok'; known: bannedbook, news, rfi\n"
