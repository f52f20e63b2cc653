"""The parts of the several-workers layer, one at a time, against a real redis-server and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest
from scrapy.settings import Settings

from newsspider import cluster
from newsspider import settings as project_settings
from newsspider.cluster import keys
from newsspider.cluster.run import IdleTimer
from newsspider.errors import StateError, Unreachable
from newsspider.state import Emission, RunHolder, StateChanges
from newsspider.state.postgres import MIGRATIONS, PostgresStateStore
from tests.servers import PostgresServer, RedisServer


@pytest.fixture
def r(redis_server: RedisServer):
    return redis_server.client()


def script(client, name: str):
    return client.register_script(getattr(keys, name))


RUN = keys.RunKeys("bannedbook", "run-1")


def test_a_taken_request_is_leased_and_an_expired_lease_goes_back_to_the_queue(r) -> None:
    r.zadd(RUN.queue, {b"request-a": 0, b"request-b": 0})
    take, renew, reclaim = script(r, "TAKE"), script(r, "RENEW"), script(r, "RECLAIM")
    args = [RUN.queue, RUN.leases, RUN.leased]
    assert take(keys=args, args=["w1:1", 300]) == b"request-a"
    assert take(keys=args, args=["w1:2", 60_000]) == b"request-b"
    assert r.zcard(RUN.queue) == 0 and r.zcard(RUN.leases) == 2
    time.sleep(0.4)
    assert renew(keys=[RUN.leases], args=[60_000, "w1:2"]) == 1  # a live worker keeps its lease
    assert reclaim(keys=args) == 1  # only the expired one
    assert r.zrange(RUN.queue, 0, -1) == [b"request-a"]
    assert renew(keys=[RUN.leases], args=[60_000, "w1:1"]) == 0  # an expired lease is not revived
    assert r.hkeys(RUN.leased) == [b"w1:2"]


def test_release_gives_unfinished_requests_back_at_once(r) -> None:
    r.zadd(RUN.queue, {b"request-a": 0})
    args = [RUN.queue, RUN.leases, RUN.leased]
    script(r, "TAKE")(keys=args, args=["w1:1", 60_000])
    script(r, "RELEASE")(keys=args, args=["w1:1"])
    assert r.zrange(RUN.queue, 0, -1) == [b"request-a"] and r.zcard(RUN.leases) == 0 and not r.hkeys(RUN.leased)


def finish(r) -> int:
    current = keys.current_key("bannedbook")
    return script(r, "FINISH")(
        keys=[RUN.queue, RUN.leases, RUN.seeding, RUN.seeded, RUN.done, current], args=[RUN.run_id, 60]
    )


def test_a_run_is_done_only_when_seeded_with_nothing_queued_or_leased(r) -> None:
    r.set(keys.current_key("bannedbook"), RUN.run_id)
    r.set(RUN.seeding, "w1")
    assert finish(r) == 0  # the seeder is still queueing start requests
    r.delete(RUN.seeding)
    assert finish(r) == -1  # the seeder stopped before it finished: the run cannot end well
    r.set(RUN.seeded, 1)
    r.zadd(RUN.queue, {b"request": 0})
    assert finish(r) == 0
    r.delete(RUN.queue)
    r.zadd(RUN.leases, {"w2:7": time.time() * 1000 + 60_000})  # another worker is on it
    assert finish(r) == 0
    r.delete(RUN.leases)
    assert finish(r) == 1
    assert r.get(keys.current_key("bannedbook")) is None  # the next worker starts a new run
    assert finish(r) == 1  # and every worker of this one sees it done


def join(r, proposed: str, worker: str, stale_ms: int = 60_000) -> tuple[str, int]:
    run, created = script(r, "JOIN")(
        keys=[keys.current_key("bannedbook")],
        args=[proposed, 60, worker, stale_ms, keys.runs_prefix("bannedbook")],
    )
    return run.decode(), created


def test_workers_join_the_run_in_progress_and_a_run_with_no_live_worker_is_not_resumed(r) -> None:
    assert join(r, "run-a", "w1") == ("run-a", 1)
    assert join(r, "run-b", "w2") == ("run-a", 0)  # w1's first beat is written with the run
    time.sleep(0.3)
    assert join(r, "run-c", "w3", stale_ms=200) == ("run-c", 1)  # run-a's workers all stopped beating


def test_beats_name_the_workers_that_stopped(r) -> None:
    beat = script(r, "BEAT")
    assert beat(keys=[RUN.workers, RUN.lost], args=["w1", 200, 60]) == []
    beat(keys=[RUN.workers, RUN.lost], args=["w2", 200, 60])
    time.sleep(0.3)
    assert beat(keys=[RUN.workers, RUN.lost], args=["w2", 200, 60]) == [b"w1"]
    assert r.smembers(RUN.lost) == {b"w1"} and r.hkeys(RUN.workers) == [b"w2"]


def seen(r, key: str, follows: bool) -> int:
    return script(r, "SEEN")(keys=[RUN.seen], args=[key, "1" if follows else "0", 60])


def test_an_article_is_seen_once_unless_first_fetched_without_following_its_related_links(r) -> None:
    assert seen(r, "article:1", follows=False) == 0
    assert seen(r, "article:1", follows=False) == 1
    assert seen(r, "article:1", follows=True) == 0  # found closer to a listing: follow its list
    assert seen(r, "article:1", follows=True) == 1
    assert seen(r, "article:2", follows=True) == 0
    assert seen(r, "article:2", follows=False) == 1
    assert 0 < r.ttl(RUN.seen) <= 60  # per run, and it expires


def test_the_host_budget_spaces_requests_and_caps_those_in_flight(r) -> None:
    admit = script(r, "ADMIT")
    host = keys.host_keys("example.org")
    assert admit(keys=host, args=["a", 200, 2, 60_000]) == 0
    wait = admit(keys=host, args=["b", 200, 2, 60_000])
    assert 100 < wait <= 200  # one request per 200 ms
    time.sleep(wait / 1000)
    assert admit(keys=host, args=["b", 200, 2, 60_000]) == 0
    time.sleep(0.21)
    assert admit(keys=host, args=["c", 200, 2, 60_000]) > 0  # two in flight already: wait for a slot
    r.zrem(host[1], "a")
    assert admit(keys=host, args=["c", 200, 2, 60_000]) == 0


def test_the_shared_autothrottle_delay_follows_latency_within_bounds(r) -> None:
    throttle = script(r, "THROTTLE")
    key = keys.host_keys("example.org")[2:]
    # latency 2 s at target concurrency 2 -> target delay 1 s, from a start of 0.5 s
    assert throttle(keys=key, args=[2000, 2.0, 500, 0, 30_000, "1"]) == 1000
    assert throttle(keys=key, args=[100, 2.0, 500, 0, 30_000, "1"]) == 525  # (1000 + 50) / 2
    assert throttle(keys=key, args=[10, 2.0, 500, 0, 30_000, "0"]) == 525  # an error never lowers it
    assert throttle(keys=key, args=[100_000, 2.0, 500, 0, 30_000, "1"]) == 30_000  # capped


def test_idle_timer_measures_unbroken_idleness() -> None:
    now = [100.0]
    timer = IdleTimer(clock=lambda: now[0])
    timer.update(idle=True)
    now[0] = 103.0
    assert timer.seconds() == 3.0
    timer.update(idle=False)  # a request in flight resets it (scrapy-redis's timer does not)
    assert timer.seconds() == 0.0
    timer.update(idle=True)
    now[0] = 104.0
    assert timer.seconds() == 1.0


def project(**overrides: object) -> Settings:
    values = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
    settings = Settings(values, priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def test_without_a_queue_uri_the_single_process_crawl_is_untouched() -> None:
    settings = project()
    cluster.configure(settings)
    assert settings.get("SCHEDULER") == "scrapy.core.scheduler.Scheduler"
    assert settings.getfloat("DOWNLOAD_DELAY") == project_settings.DOWNLOAD_DELAY


def test_a_queue_uri_forces_persistence_and_moves_politeness_to_the_run() -> None:
    settings = project(NEWSSPIDER_QUEUE_URI="redis://:x@127.0.0.1:1/0", SCHEDULER_PERSIST=False, DOWNLOAD_DELAY=2)
    cluster.configure(settings)
    assert settings.getbool("SCHEDULER_PERSIST") is True  # research run E
    assert settings.getint("SCHEDULER_IDLE_BEFORE_CLOSE") == 0  # research run D
    assert settings.get("SCHEDULER") == "newsspider.cluster.scheduler.LeasedScheduler"
    assert settings.getfloat("NEWSSPIDER_HOST_DELAY") == 2.0  # the budget the user gave, for the run
    assert settings.getfloat("DOWNLOAD_DELAY") == 0  # not again per worker
    assert settings.getint("NEWSSPIDER_HOST_CONCURRENCY") == project_settings.CONCURRENT_REQUESTS_PER_DOMAIN


def store(postgres: PostgresServer, database: str, retry_for: float = 5.0) -> PostgresStateStore:
    if not postgres.sql("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", database):
        postgres.sql("postgres", f"CREATE DATABASE {database}")
    opened = PostgresStateStore(postgres.url.rsplit("/", 1)[0] + "/" + database, retry_for=retry_for)
    opened.lock("bannedbook", RunHolder.this_process("run-1", "2026-01-01T00:00:00.000000Z"))
    return opened


def test_migrations_are_numbered_and_applied_once(postgres: PostgresServer) -> None:
    first = store(postgres, "migrations")
    second = store(postgres, "migrations")
    assert first.schema_version() == len(MIGRATIONS)
    assert postgres.sql("migrations", "SELECT count(*) FROM schema_migrations") == [(len(MIGRATIONS),)]
    first.close()
    second.close()


def test_a_sitemap_read_keeps_its_latest_lastmod_in_postgresql(postgres: PostgresServer) -> None:
    opened = store(postgres, "sitemapsread")
    opened.note_sitemaps_read("bannedbook", {"u": "2030-01-02"})
    opened.note_sitemaps_read("bannedbook", {"u": "2030-01-01", "v": "2030-01-01"})  # an older index, read later
    assert opened.sitemaps_read("bannedbook") == {"u": "2030-01-02", "v": "2030-01-01"}
    assert opened.sitemaps_read("other") == {}
    opened.close()


def test_a_superseded_link_leaves_the_postgresql_frontier_as_its_other_page_joins(postgres: PostgresServer) -> None:
    opened = store(postgres, "superseded")
    now = "2026-01-01T00:00:00.000000Z"
    opened.apply(
        "bannedbook", StateChanges({}, {}, {"tw": "https://example.org/tw", "x": "https://example.org/x"}), now
    )
    opened.apply("bannedbook", StateChanges({}, {}, {"cn": "https://example.org/cn"}, superseded={"tw": "cn"}), now)
    assert opened.frontier("bannedbook") == {"x": "https://example.org/x", "cn": "https://example.org/cn"}
    assert opened.get("bannedbook", ["tw"])["tw"].kept_as == "cn"  # later runs know the link for that article
    opened.close()


def _commit_versions(uri: str, worker: int, versions: int, wins) -> None:
    opened = PostgresStateStore(uri)
    opened.lock("bannedbook", RunHolder("run-1", 1000 + worker, f"host{worker}", "2026-01-01T00:00:00.000000Z"))
    for version in range(1, versions + 1):
        emission = Emission("42", "https://example.org/42.html", f"hash-{worker}-{version}", version)
        if opened.commit_record("bannedbook", emission, {"articleId": "42", "v": version}, "run-1", "now"):
            wins.put((version, worker))
    opened.close()


def test_two_workers_never_commit_the_same_version_of_an_article(postgres: PostgresServer) -> None:
    store(postgres, "race").close()
    uri = postgres.url.rsplit("/", 1)[0] + "/race"
    wins = multiprocessing.Queue()
    racers = [multiprocessing.Process(target=_commit_versions, args=(uri, n, 50, wins)) for n in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
    won = [wins.get(timeout=5) for _ in range(wins.qsize())]
    assert sorted(version for version, _ in won) == list(range(1, 51))  # each version won exactly once
    rows = postgres.sql("race", "SELECT version, worker FROM records ORDER BY version")
    assert [v for v, _ in rows] == list(range(1, 51))
    assert postgres.sql("race", "SELECT version FROM articles") == [(50,)]


def test_a_record_committed_is_claimed_again_only_by_its_own_worker_and_run(postgres: PostgresServer) -> None:
    """A retry after a lost answer finds its own commit; anyone else's commit is not theirs."""
    opened = store(postgres, "claims")
    emission = Emission("7", "https://example.org/7.html", "hash", 1)
    assert opened.commit_record("bannedbook", emission, {"articleId": "7"}, "run-1", "now") is True
    assert opened.commit_record("bannedbook", emission, {"articleId": "7"}, "run-1", "now") is True
    assert opened.commit_record("bannedbook", emission, {"articleId": "7"}, "run-2", "now") is False
    assert opened.records("bannedbook") == [{"articleId": "7"}]
    assert opened.records("bannedbook", "run-2") == []
    opened.close()


def test_a_state_server_unreachable_at_start_refuses_the_run_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(Unreachable, match=r"postgresql://u:\*\*\*@127.0.0.1:1/db cannot be reached"):
        PostgresStateStore("postgresql://u:secret@127.0.0.1:1/db", retry_for=30)
    assert time.monotonic() - started < 10  # no retrying at start


def test_a_state_server_lost_mid_run_is_retried_for_a_bounded_time_then_fails(postgres: PostgresServer) -> None:
    opened = store(postgres, "outage", retry_for=1.0)
    postgres.kill9()
    try:
        started = time.monotonic()
        with pytest.raises(StateError, match=r"retried for 1 s"):
            opened.get("bannedbook", ["1"])
        assert 0.9 < time.monotonic() - started < 15
    finally:
        postgres.start()
    assert opened.get("bannedbook", ["1"]) == {}  # and it reconnects once the server is back
    opened.close()


@pytest.mark.parametrize("ci", ["", "1"])
def test_a_missing_server_skips_locally_and_fails_under_ci(monkeypatch, tmp_path: Path, ci: str) -> None:
    """A green CI can never hide a missing install: without the binary, CI fails the test."""
    from _pytest.outcomes import Failed, Skipped

    from newsspider.cluster import local

    def missing(binary: str) -> str:
        raise local.ServerMissing(f"{binary} is not installed")

    monkeypatch.setattr(local, "find", missing)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(Failed if ci else Skipped, match="redis-server is not installed"):
        RedisServer(tmp_path)


def test_a_worker_closing_keeps_the_runs_seen_set(r) -> None:
    """scrapy-redis's filter deletes its set on close, under the other workers still crawling."""
    from scrapy.utils.test import get_crawler

    from newsspider.cluster.scheduler import RunDupeFilter

    r.sadd(RUN.seen, "article:1:leaf")
    RunDupeFilter(r, RUN.seen, 60, get_crawler().request_fingerprinter).close("finished")
    assert r.smembers(RUN.seen) == {b"article:1:leaf"}


class _Run:
    """ClusterRun's answer to the spider, without servers (single-process unit test)."""

    def __init__(self, seeder: bool):
        self.seeder = seeder
        self.seeded_calls = 0

    def seeds(self) -> bool:
        return self.seeder

    def seeded(self) -> None:
        self.seeded_calls += 1


@pytest.mark.parametrize("seeder", [True, False])
def test_only_the_seeding_worker_queues_start_requests_and_says_when_done(monkeypatch, seeder: bool) -> None:
    """scrapy-redis's start_requests is dead code on Scrapy 2.19: the spider's async start() seeds."""
    import asyncio

    from newsspider.spiders.bannedbook import BannedbookSpider
    from tests.conftest import project_crawler

    crawler = project_crawler()
    spider = BannedbookSpider.from_crawler(crawler, start_urls="https://www.bannedbook.org/bnews/worldnews/")
    run = _Run(seeder)
    monkeypatch.setattr(spider, "_cluster_run", lambda: run)

    async def collect() -> list:
        return [request async for request in spider.start()]

    requests = asyncio.run(collect())
    assert [r.url for r in requests] == (["https://www.bannedbook.org/bnews/worldnews/"] if seeder else [])
    assert run.seeded_calls == (1 if seeder else 0)


def closer(r, article: str, depth: int):
    return script(r, "CLOSER")(keys=[RUN.unexpanded, RUN.closer, RUN.seen], args=[f"article:{article}", depth])


def leaf(r, article: str, urls: str):
    return script(r, "LEAF")(keys=[RUN.unexpanded, RUN.closer], args=[f"article:{article}", urls])


def test_an_article_found_closer_has_its_related_list_followed_once_whichever_comes_first(r) -> None:
    """Worker A fetches an article too many hops away to follow its list; worker B finds it on a
    listing. Before A parses it, B leaves a mark that A follows; after, B takes A's list."""
    assert closer(r, "1", 0) == 0  # nobody fetches it: B requests it itself
    seen(r, "article:2", follows=False)  # A's fetch, pending
    assert closer(r, "2", 0) == 1  # B marks it
    assert leaf(r, "2", '["u"]') == 0  # A, parsing it, follows the list at depth 0
    assert r.hlen(RUN.closer) == 0 and r.hlen(RUN.unexpanded) == 0
    seen(r, "article:3", follows=False)
    assert leaf(r, "3", '["v", "w"]') is None  # A parsed it first: the list is kept
    assert closer(r, "3", 0) == b'["v", "w"]'  # and B follows it, once
    assert closer(r, "3", 0) == 1 and leaf(r, "3", "[]") == 0  # a second finder only marks it


def test_none_given_for_the_host_budget_takes_the_one_worker_settings() -> None:
    settings = project(
        NEWSSPIDER_QUEUE_URI="redis://:x@127.0.0.1:1/0",
        NEWSSPIDER_HOST_DELAY="None",
        NEWSSPIDER_HOST_CONCURRENCY="none",
        NEWSSPIDER_HOST_AUTOTHROTTLE="None",
    )
    cluster.configure(settings)
    assert settings.getfloat("NEWSSPIDER_HOST_DELAY") == project_settings.DOWNLOAD_DELAY
    assert settings.getint("NEWSSPIDER_HOST_CONCURRENCY") == project_settings.CONCURRENT_REQUESTS_PER_DOMAIN
    assert settings.getbool("NEWSSPIDER_HOST_AUTOTHROTTLE") is project_settings.AUTOTHROTTLE_ENABLED
    untouched = project(NEWSSPIDER_QUEUE_URI="None")
    cluster.configure(untouched)
    assert untouched.get("SCHEDULER") == "scrapy.core.scheduler.Scheduler"


def test_a_state_retry_as_long_as_a_lease_is_refused() -> None:
    from newsspider.errors import BadInput

    settings = project(
        NEWSSPIDER_QUEUE_URI="redis://:x@127.0.0.1:1/0",
        NEWSSPIDER_STATE_URI="postgresql://u:p@127.0.0.1:1/db",
        NEWSSPIDER_STATE_RETRY_FOR=60,
        NEWSSPIDER_QUEUE_LEASE=60,
    )
    with pytest.raises(BadInput, match="NEWSSPIDER_STATE_RETRY_FOR=60: .* shorter than NEWSSPIDER_QUEUE_LEASE=60"):
        cluster.check(settings)


def scheduler(r, lease_ms: int = 300):
    """A LeasedScheduler over the real Redis, with the parts of ClusterRun it uses."""
    from types import SimpleNamespace

    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from newsspider.cluster.scheduler import LeasedScheduler

    names = ("TAKE", "RENEW", "RELEASE", "RECLAIM")
    run = SimpleNamespace(
        redis=r, keys=RUN, keep=60, lease_ms=lease_ms, worker="w1", error=None, waiting_for_host=0, uri="redis://",
        scripts={name: script(r, name) for name in names}, guard=lambda work: work(),
    )  # fmt: skip
    crawler = get_crawler(Spider)
    crawler.stats.open_spider()
    made = LeasedScheduler(crawler, run)
    made.open(Spider("bannedbook"))
    return made


def test_a_worker_renews_what_it_works_on_and_acknowledges_what_it_finished(r) -> None:
    from scrapy import Request

    made = scheduler(r, lease_ms=300)
    made.enqueue_request(Request("https://example.org/a"))
    made.enqueue_request(Request("https://example.org/b"))
    a, b = made.next_request(), made.next_request()
    for _ in range(4):  # 0.6 s in all: twice the lease, kept alive by the beats
        time.sleep(0.15)
        made.tend([a, b])
    assert script(r, "RECLAIM")(keys=[RUN.queue, RUN.leases, RUN.leased]) == 0
    made.tend([b])  # the engine is done with a
    assert r.zcard(RUN.leases) == 1 and r.hlen(RUN.leased) == 1
    made.close("shutdown")  # b is given back for the others at once, not after its lease
    assert r.zcard(RUN.queue) == 1 and r.zcard(RUN.leases) == 0 and r.hlen(RUN.leased) == 0


def test_the_shared_filter_keys_articles_by_id_and_redirects_by_url(r) -> None:
    from scrapy import Request

    from newsspider.cluster import DEDUPE_KEY

    made = scheduler(r)
    simplified = "https://example.org/bnews/a/20240101/7.html"
    traditional = "https://example.org/bnews/zh-tw/a/20240101/7.html"
    assert made.enqueue_request(Request(simplified, meta={DEDUPE_KEY: ("article:7", simplified, False)}))
    assert not made.enqueue_request(Request(traditional, meta={DEDUPE_KEY: ("article:7", traditional, False)}))
    # A redirect keeps the meta of the request it came from: it is filtered by its own URL.
    moved = Request("https://example.org/moved", meta={DEDUPE_KEY: ("article:7", simplified, False)})
    assert made.enqueue_request(moved)
    assert not made.enqueue_request(moved.replace())


def test_the_last_worker_to_end_closes_the_run_failed_unless_every_part_finished(postgres: PostgresServer) -> None:
    a = store(postgres, "verdicts")
    b = PostgresStateStore(a.uri)
    b.lock("bannedbook", RunHolder("run-1", 2, "hostb", "2026-01-01T00:00:00.000000Z"))
    for run in ("r1", "r2"):
        a.begin_run("bannedbook", run, [], "t0")
        b.begin_run("bannedbook", run, [], "t0")
    a.end_run("bannedbook", "r1", "finished", "t1")
    assert a.run_status("bannedbook", "r1") == "running"  # b is still at it
    b.end_run("bannedbook", "r1", "queue_error", "t2")
    assert a.run_status("bannedbook", "r1") == "failed"
    a.mark_lost("bannedbook", "r2", b.worker, "t1")  # its work was taken over
    a.end_run("bannedbook", "r2", "finished", "t2")
    assert a.run_status("bannedbook", "r2") == "finished"
    assert a.settled_before("bannedbook") == "t2"
    a.close()
    b.close()
