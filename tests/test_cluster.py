"""Several workers, one run: real redis-server and PostgreSQL, worker processes as users start them.

Every claim about sharing work, surviving kills and closing when idle is checked here against
real servers (tests/servers.py: skipped on a developer's machine without them, failed under CI).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from newsspider.samplesite.generator import SampleSite
from tests.cluster import Workers, wait_until
from tests.conftest import LOOPBACK_SETTINGS, SMALL_SITE, SampleServerProcess
from tests.runs import Runs, reachable
from tests.servers import PostgresServer, RedisServer

ARTICLES = 80
_databases = itertools.count(1)


def site_process(
    tmp: Path, articles: int = ARTICLES, delay: float = 0.02, site: str = "bannedbook"
) -> SampleServerProcess:
    log = tmp / "requests.log"
    return SampleServerProcess(log, articles=articles, delay=delay, time_log=tmp / "times.log", site=site)


@pytest.fixture
def cluster(tmp_path: Path, redis_server: RedisServer, postgres: PostgresServer):
    made: list[tuple[Workers, SampleServerProcess]] = []

    def make(articles: int = ARTICLES, delay: float = 0.02, site: str = "bannedbook") -> Workers:
        site = site_process(tmp_path, articles, delay, site)
        workers = Workers(tmp_path, site, redis_server, postgres, f"run{next(_databases)}")
        made.append((workers, site))
        return workers

    yield make
    for workers, site in made:
        workers.stop()
        site.stop()


def expected(articles: int = ARTICLES, site: str = "bannedbook") -> set[str]:
    """What a crawl of the site's first section listing emits."""
    return reachable(SampleSite(articles=articles, site=site))


def test_two_workers_emit_every_article_once_and_share_the_work(cluster, site: str) -> None:
    workers = cluster(delay=0.15, site=site)  # a crawl of several seconds: longer than a worker's start-up
    assert workers.run(2, NEWSSPIDER_HOST_CONCURRENCY=2) == [0, 0]
    want = expected(site=site)
    lines = workers.lines(0) + workers.lines(1)
    assert sorted(lines) == sorted(want)  # every article once across both outputs
    assert sorted(workers.records()) == sorted((aid, 1) for aid in want)  # and once in the records table
    fetched = Counter(workers.article_fetches())
    assert not [path for path, n in fetched.items() if n > 1], "an article page was fetched twice"
    # Both did a fair share: each fetched at least a quarter of the article pages.
    reports = [workers.reports(0)[-1], workers.reports(1)[-1]]
    shares = [
        r["workers"][r["worker"]]["pagesRequested"]["article"] + r["workers"][r["worker"]]["pagesRequested"]["related"]
        for r in reports
    ]
    assert min(shares) >= len(want) / 4, shares
    # One run, one verdict, one whole-run report that covers both parts.
    assert {r["runId"] for r in reports} == {reports[0]["runId"]}
    assert all(r["verdict"] == "ok" for r in reports)
    assert all(r["records"]["emitted"] == len(want) for r in reports)
    assert all(len(r["workers"]) == 2 for r in reports)


def test_two_workers_crawl_an_archive_from_its_sitemaps(cluster) -> None:
    """Sitemaps with a shared queue: each sitemap's entries go to Redis, every article once."""
    workers = cluster(articles=SMALL_SITE)
    workers.args = ["-a", "discover=sitemaps"]
    assert workers.run(2) == [0, 0]
    site = SampleSite(articles=SMALL_SITE)
    want = sorted(a.article_id for a in site.sitemap_articles() if a.kind != "disallowed")
    assert sorted(workers.records()) == [(aid, 1) for aid in want]
    assert sorted(workers.lines(0) + workers.lines(1)) == want
    paths = workers.site.requested_paths()
    assert sorted(p for p in paths if "sitemap" in p) == sorted(["/sitemap_index.xml", *site.sitemap_paths()])
    assert not [p for p in paths if p.startswith("/bnews/") and p.endswith("/")], "a listing page was fetched"
    fetched = Counter(workers.article_fetches())
    assert not [path for path, n in fetched.items() if n > 1], "an article page was fetched twice"


def test_an_hourly_second_run_emits_what_the_single_process_crawl_emits(cluster, tmp_path: Path) -> None:
    """The same site, changes and settings: two workers with both stores, and one process with
    SQLite, emit the same new and changed articles with the same versions."""
    workers = cluster(articles=SMALL_SITE)
    (tmp_path / "twin").mkdir()
    twin = site_process(tmp_path / "twin", articles=SMALL_SITE)
    try:
        (tmp_path / "single").mkdir()
        single = Runs(twin, tmp_path / "single", **LOOPBACK_SETTINGS)
        # Every listed section, where the site's edits are.
        single.start_urls = SampleSite(articles=SMALL_SITE).start_urls(twin.base_url)
        workers.start_urls = SampleSite(articles=SMALL_SITE).start_urls(workers.site.base_url)
        assert workers.run(2) == [0, 0]
        assert single.run().returncode == 0
        for server in (workers.site, twin):
            server.admin("publish", 3)
            server.admin("edit", 3)
        assert workers.run(2, NEWSSPIDER_REFRESH_AFTER=0) == [0, 0]
        assert single.run(NEWSSPIDER_REFRESH_AFTER=0).returncode == 0
        second = workers.last_run_lines()
        single_second = [
            (record["articleId"], record["metadata"]["version"])
            for record in json_lines(max((tmp_path / "single" / "output").glob("*.jsonl")))
        ]
        versions = dict(workers.records())
        assert sorted((aid, versions[aid]) for aid in second) == sorted(single_second)
        assert {1, 2} <= {version for _, version in single_second}  # new and changed ones both
    finally:
        twin.stop()


def request_times(workers: Workers) -> list[float]:
    path = workers.tmp / "times.log"
    return sorted(float(line.split()[0]) for line in path.read_text().splitlines() if "/robots.txt" not in line)


def test_politeness_holds_for_the_run_as_a_whole(cluster) -> None:
    workers = cluster(delay=0)
    rate = 20.0  # the budget: requests per second to the host, for all workers together
    assert workers.run(2, NEWSSPIDER_HOST_DELAY=1 / rate, NEWSSPIDER_HOST_CONCURRENCY=4) == [0, 0]
    times = request_times(workers)
    assert len(times) > 40
    busiest = max(sum(1 for t in times if start <= t < start + 1) for start in times)
    assert busiest <= rate + 1, f"{busiest} requests in one second, budget {rate}"
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert achieved >= 0.8 * rate, f"{achieved:.1f} requests/s, budget {rate}"
    # Both workers sent requests: the budget is shared, not taken by one.
    reports = workers.reports(0)[-1]
    assert all(part["pagesRequested"]["responses"] > 5 for part in reports["workers"].values())


def test_a_killed_worker_loses_nothing_and_its_lines_are_not_emitted_again(cluster) -> None:
    workers = cluster(delay=0.1)
    survivor, victim = workers.start(2, NEWSSPIDER_HOST_CONCURRENCY=2, NEWSSPIDER_QUEUE_LEASE=3)
    wait_until(lambda: len(workers.lines(1)) >= 3 if list((workers.tmp / "w1").glob("*.jsonl")) else False,
               what="the victim's first records")  # fmt: skip
    victim.kill()  # SIGKILL: no close, no release, its leases expire
    victim.wait()
    assert survivor.wait(timeout=240) == 0
    dead_lines = workers.lines(1)
    want = expected()
    committed = workers.records()
    assert sorted(aid for aid, _ in committed) == sorted(want)  # each article once in the records table
    assert all(version == 1 for _, version in committed)
    survivor_lines = workers.lines(0)
    assert not set(dead_lines) & set(survivor_lines), "the dead worker's lines were emitted again"
    assert len(survivor_lines) == len(set(survivor_lines))
    report = workers.reports(0)[-1]
    assert report["verdict"] == "ok"
    assert any(part.get("lost") for part in report["workers"].values())
    # The state knows: the dead worker's part is lost, the run finished (its pages bound the next run).
    parts = workers.postgres.sql(workers.database, "SELECT status FROM run_workers WHERE run_id = %s", report["runId"])
    assert sorted(status for (status,) in parts) == ["finished", "lost"]
    assert workers.postgres.sql(workers.database, "SELECT status FROM runs") == [("finished",)]


def test_redis_killed_fails_the_run_loudly_and_the_next_run_completes(cluster, redis_server: RedisServer) -> None:
    workers = cluster(delay=0.1)
    processes = workers.start(2, NEWSSPIDER_HOST_CONCURRENCY=2)
    wait_until(lambda: len(workers.records()) >= 5, what="records before the kill")
    redis_server.kill9()  # no persistence: the queue, the leases and the duplicate filter are gone
    statuses = [p.wait(timeout=120) for p in processes]
    assert statuses == [3, 3]  # never "finished ok" with a partial crawl
    for worker in (0, 1):
        report = workers.reports(worker)[-1]
        assert report["verdict"] == "failed"
        assert "queue" in {alarm["check"] for alarm in report["alarms"]}
    partial = workers.records()
    assert len(partial) < len(expected())
    redis_server.start()  # empty, on the same port
    assert workers.run(2) == [0, 0]
    committed = workers.records()
    assert sorted(aid for aid, _ in committed) == sorted(expected())  # nothing missing, nothing twice
    lines = workers.lines(0) + workers.lines(1)
    assert len(lines) == len(set(lines))


def test_postgres_restarted_mid_run_is_waited_for(cluster, postgres: PostgresServer) -> None:
    workers = cluster(delay=0.1)
    processes = workers.start(
        2, NEWSSPIDER_HOST_CONCURRENCY=2, NEWSSPIDER_QUEUE_LEASE=30, NEWSSPIDER_STATE_RETRY_FOR=20
    )
    wait_until(lambda: len(workers.records()) >= 5, what="records before the restart")
    postgres.restart(down_for=1.5)
    assert [p.wait(timeout=240) for p in processes] == [0, 0]
    committed = workers.records()
    assert sorted(aid for aid, _ in committed) == sorted(expected())
    lines = workers.lines(0) + workers.lines(1)
    assert len(lines) == len(set(lines))
    logs = (workers.tmp / "w0" / "crawl.log").read_text() + (workers.tmp / "w1" / "crawl.log").read_text()
    assert "unreachable" in logs  # they did wait for it


def test_postgres_down_longer_than_the_retry_window_fails_the_run(cluster, postgres: PostgresServer) -> None:
    workers = cluster(delay=0.1)
    (process,) = workers.start(1, NEWSSPIDER_HOST_CONCURRENCY=2, NEWSSPIDER_STATE_RETRY_FOR=1)
    wait_until(lambda: len(workers.records()) >= 3, what="records before the outage")
    postgres.kill9()
    try:
        assert process.wait(timeout=120) == 3
    finally:
        postgres.start()
    report = workers.reports(0)[-1]
    assert "state" in {alarm["check"] for alarm in report["alarms"]}
    # What was committed stays; the next run emits the rest and nothing again.
    assert workers.run(1) == [0]
    assert sorted(aid for aid, _ in workers.records()) == sorted(expected())


@pytest.mark.parametrize("which", ["queue", "state"])
def test_an_unreachable_server_at_start_is_one_line_and_a_non_zero_exit(cluster, which: str) -> None:
    workers = cluster()
    closed = "127.0.0.1:1"
    setting = (
        {"NEWSSPIDER_QUEUE_URI": f"redis://:x@{closed}/0"}
        if which == "queue"
        else {"NEWSSPIDER_STATE_URI": f"postgresql://u:secret@{closed}/db"}
    )
    (process,) = workers.start(1, **setting)
    _, stderr = process.communicate(timeout=60)
    stderr = stderr.decode()
    errors = [line for line in stderr.splitlines() if line.startswith("newsspider: error:")]
    assert process.returncode == 5, stderr[-2000:]
    assert len(errors) == 1 and which in errors[0] and closed in errors[0], errors
    assert "secret" not in stderr and "Traceback" not in stderr
    assert workers.article_fetches() == []


def test_a_queue_without_a_shared_state_is_refused(cluster) -> None:
    workers = cluster()
    (process,) = workers.start(1, NEWSSPIDER_STATE_URI="sqlite:///x.sqlite3")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "NEWSSPIDER_STATE_URI=postgresql://" in stderr.decode()


def test_workers_log_no_scrapy_redis_deprecation(cluster) -> None:
    """The compatibility layer avoids the deprecated calls scrapy-redis 0.9.1 makes on Scrapy 2.19."""
    workers = cluster(articles=SMALL_SITE)
    assert workers.run(1) == [0]
    log = (workers.tmp / "w0" / "crawl.log").read_text()
    assert "Deprecat" not in log and "Traceback" not in log


def json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_the_local_cluster_command_crawls_the_sample_site_with_two_workers(tmp_path: Path) -> None:
    """``python -m newsspider cluster``: its own Redis, PostgreSQL and sample site, two workers."""
    from tests.conftest import PROJECT, subprocess_env
    from tests.servers import PostgresServer as RequirePostgres
    from tests.servers import RedisServer as RequireRedis

    RequirePostgres().stop()  # skips (fails under CI) when the servers are missing
    RequireRedis(tmp_path).stop()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsspider",
            "cluster",
            "--workers",
            "2",
            "--articles",
            "40",
            "--output",
            str(tmp_path),
        ],
        cwd=PROJECT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "missing: 0  unexpected: 0  duplicates: 0" in result.stdout
    assert result.stdout.count(": exit 0, ") == 2
    assert "queue: redis://:***@" in result.stdout  # the password is never printed
