"""Runs that never lie: real `scrapy crawl` subprocesses against the sample site, each checking
one promise of the README's reliability table (exit status, report, what the next run emits)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsspider.samplesite.generator import LISTED_SECTIONS, PAGE_SIZE, SampleSite
from tests.conftest import PROJECT, SampleServerProcess, crawl_command, subprocess_env

SMALL = 40  # articles: enough for every path below, quick to crawl
SECTION = "worldnews"


def reachable(site: SampleSite, section: str, pages: int = 0, depth: int = 1) -> set[str]:
    """Article ids a crawl of ``section``'s listing must emit: the listed ones on the first
    ``pages`` pages (0 = all) and what ``depth`` hops of related links reach from them."""
    entries = site.listing(section)
    if pages:
        entries = entries[: PAGE_SIZE[dict(LISTED_SECTIONS)[section]] * pages]
    frontier = {a.article_id for a in entries if a.kind == "listed"}
    found = set(frontier)
    for _ in range(depth):
        frontier = {rid for aid in frontier for rid, _ in site.articles[aid].related} - found
        found |= frontier
    return found


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    server = SampleServerProcess(tmp_path_factory.mktemp("small") / "requests.log", articles=SMALL)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def small_site(small):
    return SampleSite(seed=small.seed, articles=small.articles)


class Runs:
    """Crawls of one start URL, sharing a state and a report folder under ``tmp``."""

    def __init__(self, server: SampleServerProcess, tmp: Path, section: str = SECTION, **settings: object):
        self.server = server
        self.tmp = tmp
        self.state = tmp / "state.sqlite3"
        self.start_urls = [f"{server.base_url}/bnews/{section}/"]
        self.settings = {
            "NEWSSPIDER_STATE_URI": f"sqlite:///{self.state}",
            "NEWSSPIDER_REPORT_URI": str(tmp / "reports" / "%(run_id)s.report.json"),
            "NEWSSPIDER_DEFAULT_FEED": str(tmp / "output" / "%(run_id)s.jsonl"),
            "LOG_FILE": tmp / "crawl.log",
            **settings,
        }

    def command(self, *args: str, start_urls: list[str] | None = None, **settings: object) -> list[str]:
        return crawl_command(start_urls or self.start_urls, {**self.settings, **settings}, None, *args)

    def run(self, *args: str, **settings: object) -> subprocess.CompletedProcess:
        command = self.command(*args, **settings)
        return subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, timeout=300)

    def start(self, *args: str, **settings: object) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(*args, **settings), cwd=PROJECT, env=subprocess_env(), stdout=subprocess.PIPE
        )

    def last_report(self) -> dict:
        reports = sorted((self.tmp / "reports").glob("*.report.json")) + sorted(self.tmp.glob("*.report.json"))
        return json.loads(max(reports, key=lambda p: p.stat().st_mtime).read_text("utf-8"))

    def emitted_in_state(self) -> set[str]:
        with sqlite3.connect(self.state) as db:
            return {row[0] for row in db.execute("SELECT article_id FROM articles WHERE version > 0")}


def ids(path: Path) -> list[str]:
    """Article ids of a JSON Lines file; every line must be a complete record."""
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), f"{path.name} ends in a torn line"
    return [json.loads(line)["articleId"] for line in data.splitlines()]


def wait_for_lines(path: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not (path.exists() and path.read_bytes().count(b"\n") >= count):
        assert process.poll() is None, "the crawl ended too early"
        assert time.monotonic() < deadline, f"no {count} lines in {path}"
        time.sleep(0.02)


def refused(result: subprocess.CompletedProcess, status: int, *words: str) -> str:
    """The one-line refusal on stderr, with no traceback."""
    stderr = result.stderr.decode("utf-8")
    lines = [line for line in stderr.splitlines() if line.startswith("newsspider: error:")]
    assert result.returncode == status, stderr[-2000:]
    assert len(lines) == 1, stderr[-2000:]
    assert "Traceback" not in stderr and "Task exception" not in stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# --- nothing lost, nothing duplicated -----------------------------------------------------------


def test_a_full_disk_fails_the_run_and_the_next_run_emits_everything(small, small_site, tmp_path):
    runs = Runs(small, tmp_path)
    result = runs.run("-O", "/dev/full:jsonl")
    assert result.returncode == 3
    report = runs.last_report()
    assert report["verdict"] == "failed" and report["finishReason"] == "output_error"
    (alarm,) = [a for a in report["alarms"] if a["check"] == "output"]
    assert "No space left on device" in alarm["message"]
    assert report["records"]["emitted"] == 0
    assert runs.emitted_in_state() == set()

    result = runs.run("-o", str(tmp_path / "good.jsonl"))
    assert result.returncode == 0
    assert sorted(ids(tmp_path / "good.jsonl")) == sorted(reachable(small_site, SECTION))


def test_a_closed_pipe_fails_the_run_and_what_the_pipe_took_is_not_repeated(small, small_site, tmp_path):
    runs = Runs(small, tmp_path)
    process = runs.start("-O", "-:jsonl", CONCURRENT_REQUESTS=1)
    got = [json.loads(process.stdout.readline())["articleId"] for _ in range(3)]
    process.stdout.close()  # the reader goes away, as `| head -3` does
    assert process.wait(timeout=60) == 3
    report = runs.last_report()
    assert any(a["check"] == "output" and "Broken pipe" in a["message"] for a in report["alarms"])
    taken = runs.emitted_in_state()  # every line the pipe accepted, and only those
    assert set(got) <= taken and len(taken) == report["records"]["emitted"]

    assert runs.run("-o", str(tmp_path / "rest.jsonl")).returncode == 0
    rest = ids(tmp_path / "rest.jsonl")
    assert not set(rest) & taken
    assert sorted([*rest, *taken]) == sorted(reachable(small_site, SECTION))


def test_an_output_that_cannot_be_written_is_refused_before_any_request(small, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    before = len(small.requested_paths())
    result = Runs(small, tmp_path).run("-o", str(tmp_path / "a-file" / "out.jsonl"))
    refused(result, 2, "a-file/out.jsonl", "cannot be written")
    assert len(small.requested_paths()) == before


def test_a_state_that_cannot_be_written_stops_the_run_and_nothing_is_lost(small, small_site, tmp_path):
    runs = Runs(small, tmp_path, NEWSSPIDER_STATE_COMMIT_EVERY=3, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.05)
    first = tmp_path / "first.jsonl"
    process = runs.start("-o", str(first))
    wait_for_lines(first, 4, process)
    blocker = sqlite3.connect(runs.state, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the state: the run's next batch fails
    try:
        assert process.wait(timeout=60) == 3
    finally:
        blocker.rollback()
        blocker.close()
    report = runs.last_report()
    (alarm,) = [a for a in report["alarms"] if a["check"] == "state"]
    assert str(runs.state) in alarm["message"] and "database is locked" in alarm["message"]
    assert report["finishReason"] == "state_error"

    assert runs.run("-o", str(tmp_path / "second.jsonl")).returncode == 0
    # The failed run stayed unfinished, so the second one replayed its file first.
    emitted = ids(first) + ids(tmp_path / "second.jsonl")
    assert sorted(emitted) == sorted(reachable(small_site, SECTION))


def test_an_immutable_state_is_refused_with_the_file_named(small, tmp_path):
    runs = Runs(small, tmp_path)
    assert runs.run("-o", str(tmp_path / "out.jsonl")).returncode == 0
    if subprocess.run(["chattr", "+i", str(runs.state)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available on this filesystem (the locked-state test covers the failure)")
    try:
        before = len(small.requested_paths())
        refused(runs.run("-o", str(tmp_path / "again.jsonl")), 2, str(runs.state), "readonly")
        assert len(small.requested_paths()) == before
    finally:
        subprocess.run(["chattr", "-i", str(runs.state)], check=True)


def test_overwriting_earlier_records_with_the_state_on_is_refused(small, tmp_path):
    runs = Runs(small, tmp_path)
    output = tmp_path / "world.jsonl"
    assert runs.run("-O", str(output)).returncode == 0
    kept = output.read_bytes()
    assert kept
    before = len(small.requested_paths())
    line = refused(runs.run("-O", str(output)), 2, str(output), "-o", "NEWSSPIDER_STATE_ENABLED=False")
    assert "new file" in line
    assert output.read_bytes() == kept and len(small.requested_paths()) == before
    # With the state off, -O is a full export and replaces the file, as in any Scrapy project.
    assert runs.run("-O", str(output), NEWSSPIDER_STATE_ENABLED=False).returncode == 0


def test_a_killed_run_then_an_append_keeps_valid_json_lines_and_every_article_once(small, small_site, tmp_path):
    runs = Runs(small, tmp_path, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.05)
    output = tmp_path / "out.jsonl"
    process = runs.start("-o", str(output))
    wait_for_lines(output, 5, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    # A kill mid-write leaves half a line; cut the last line to be sure this run ends in one.
    data = output.read_bytes()
    output.write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 40])
    complete = data[: data.rstrip(b"\n").rfind(b"\n") + 1].count(b"\n")

    refused(runs.run("-O", str(output)), 2, "-o")  # -O would destroy the killed run's records
    result = runs.run("-o", str(output))  # and the killed run's lock does not block this one
    assert result.returncode == 0, result.stderr[-2000:]
    emitted = ids(output)  # every line a complete record: the fragment was not glued to
    assert sorted(emitted) == sorted(reachable(small_site, SECTION))
    assert (tmp_path / "out.jsonl.torn").read_bytes() == data[data.rstrip(b"\n").rfind(b"\n") + 1 :][:39]
    log = (tmp_path / "crawl.log").read_text("utf-8")
    assert f"did not finish; {complete} records replayed" in log


def test_a_second_run_on_a_state_in_use_is_refused_and_names_the_first(small, tmp_path):
    runs = Runs(small, tmp_path, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.2)
    first = runs.start("-o", str(tmp_path / "first.jsonl"))
    try:
        wait_for_lines(tmp_path / "first.jsonl", 1, first)
        line = refused(runs.run("-o", str(tmp_path / "second.jsonl")), 4, str(runs.state), f"pid {first.pid}")
        holder = json.loads(runs.state.with_name("state.sqlite3.bannedbook.lock").read_text())
        assert f"run {holder['run_id']}" in line and f"on {holder['host']}" in line
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
    assert not (tmp_path / "second.jsonl").exists()  # a refused run writes nothing, not even an empty file


# --- the exit status tells the truth ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        ("http://127.0.0.1:1/bnews/worldnews/", "DownloadConnectionRefusedError"),
        ("{base}/bnews/nosuch/", "http_404"),
        ("{base}/", "no_article_links"),
    ],
    ids=["dead-site", "listing-404", "home-page"],
)
def test_a_run_whose_start_urls_all_failed_fails(small, tmp_path, start, reason):
    runs = Runs(small, tmp_path, RETRY_TIMES=0, NEWSSPIDER_STATE_ENABLED=False)
    start_url = start.format(base=small.base_url)
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
    command = runs.command("-o", str(tmp_path / "out.jsonl"), start_urls=[f"{small.base_url}/bnews/nosuch/"])
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, timeout=120)
    assert result.returncode == 3
    assert not list(tmp_path.rglob("*.report.json"))
    assert "Run failed: all 1 start URLs failed" in (tmp_path / "crawl.log").read_text("utf-8")


def test_a_killed_run_writing_batches_is_replayed_from_every_batch_file(small, small_site, tmp_path):
    runs = Runs(small, tmp_path, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.05, FEED_EXPORT_BATCH_ITEM_COUNT=4)
    process = runs.start("-o", str(tmp_path / "part-%(batch_id)d.jsonl"))
    wait_for_lines(tmp_path / "part-3.jsonl", 1, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    # A feed setting Scrapy refuses (batches without %(batch_id)d in the name) is bad input, not silence.
    refused(runs.run("-o", str(tmp_path / "rest.jsonl")), 2, "feed settings")
    assert runs.run("-o", str(tmp_path / "rest.jsonl"), FEED_EXPORT_BATCH_ITEM_COUNT=0).returncode == 0
    emitted = [i for path in sorted(tmp_path.glob("*.jsonl")) for i in ids(path)]
    assert sorted(emitted) == sorted(reachable(small_site, SECTION))


def test_a_site_answering_with_bot_challenges_fails_as_blocked(tmp_path):
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL, blocked=True)
    try:
        runs = Runs(server, tmp_path, NEWSSPIDER_STATE_ENABLED=False)
        site = SampleSite(seed=server.seed, articles=server.articles)
        article = site.articles[site.listing(SECTION)[0].article_id]
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


def test_a_crawl_stops_after_too_many_challenges_in_a_row(tmp_path):
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL, blocked=True)
    try:
        runs = Runs(server, tmp_path, NEWSSPIDER_STATE_ENABLED=False, NEWSSPIDER_BLOCKED_STOP_AFTER=2)
        listings = [f"{server.base_url}/bnews/{section}/" for section, _ in LISTED_SECTIONS]
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


def test_empty_start_urls_are_an_error_not_the_real_site(tmp_path):
    command = [sys.executable, "-m", "scrapy", "crawl", "bannedbook", "-a", "start_urls="]
    command += ["-s", f"NEWSSPIDER_STATE_URI=sqlite:///{tmp_path / 's.sqlite3'}", "-s", "LOG_LEVEL=INFO"]
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, timeout=120)
    refused(result, 2, "argument start_urls=''")
    assert b"bannedbook.org" not in result.stderr.split(b"newsspider: error:")[0]


def test_a_corrupt_state_names_the_file_and_how_to_recover(small, tmp_path):
    runs = Runs(small, tmp_path)
    runs.state.write_bytes(b"this is not a database" * 100)
    line = refused(runs.run(), 2, str(runs.state), "corrupt", "move it aside")
    assert "fresh state" in line
    assert not list((tmp_path / "output").glob("*.jsonl"))  # refused: no output file left behind


# --- bounded scope ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_320(sample_server):
    return SampleSite(seed=sample_server.seed, articles=sample_server.articles)


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_max_pages_and_related_depth_bound_the_crawl(sample_server, site_320, tmp_path, depth):
    runs = Runs(sample_server, tmp_path, section="comments", NEWSSPIDER_STATE_ENABLED=False)
    output = tmp_path / "out.jsonl"
    assert runs.run("-o", str(output), "-a", "max_pages=1", "-a", f"related_depth={depth}").returncode == 0
    assert sorted(ids(output)) == sorted(reachable(site_320, "comments", pages=1, depth=depth))


def test_an_article_start_url_yields_it_and_its_related_articles(sample_server, site_320, tmp_path):
    article = site_320.articles[site_320.listing("headline")[4].article_id]
    runs = Runs(sample_server, tmp_path, NEWSSPIDER_STATE_ENABLED=False)
    output = tmp_path / "out.jsonl"
    command = runs.command("-o", str(output), start_urls=[f"{sample_server.base_url}{article.path()}"])
    assert subprocess.run(command, cwd=PROJECT, env=subprocess_env(), timeout=120).returncode == 0
    assert sorted(ids(output)) == sorted({article.article_id, *(rid for rid, _ in article.related)})
