"""One run, many workers: who seeds it, when all of it is done, and its report's parts.

The first worker to start names the run (``current``) and seeds it; later workers join it. A
worker stays open while any part of the run has work: a request in the queue or leased to a
live worker. A dead worker's leases expire and go back to the queue, so the survivors fetch
them. A worker whose Redis fails stops the run as failed: its requests cannot be shared any
more, and the next run starts again from the crawl state.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from typing import Any

import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from newsspider import config
from newsspider.cluster import keys
from newsspider.errors import Unreachable
from newsspider.redact import redacted

logger = logging.getLogger(__name__)

# Sent when another worker of the run stopped beating: ``run_id``, ``worker``.
worker_lost = object()

# How often a worker beats, renews its leases and gives expired ones back.
TICK = 0.25


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class IdleTimer:
    """How long this worker has been idle without a break (nothing to download, parse or
    store), measured from the engine itself. scrapy-redis's timer counts from when its start key
    last had data instead, so a busy worker quits at its first idle moment (research run I)."""

    def __init__(self, clock: Any = time.monotonic):
        self.clock = clock
        self.since: float | None = None

    def update(self, idle: bool) -> None:
        if not idle:
            self.since = None
        elif self.since is None:
            self.since = self.clock()

    def seconds(self) -> float:
        return 0.0 if self.since is None else self.clock() - self.since


class ClusterRun:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.uri: str = config.setting(settings, "NEWSSPIDER_QUEUE_URI")
        self.lease_ms = int(config.setting(settings, "NEWSSPIDER_QUEUE_LEASE") * 1000)
        self.keep = int(config.setting(settings, "NEWSSPIDER_QUEUE_KEEP"))
        self.idle_grace: float = config.setting(settings, "NEWSSPIDER_QUEUE_IDLE_GRACE")
        self.worker = worker_id()
        self.redis = redis.Redis.from_url(self.uri, socket_timeout=10, socket_connect_timeout=5)
        self.scripts = {
            name: self.redis.register_script(getattr(keys, name))
            for name in ("JOIN", "TAKE", "RENEW", "RELEASE", "RECLAIM", "FINISH", "BEAT", "CLOSER", "LEAF")
        }
        spider = crawler.spider
        self.spider_name = spider.name
        self.seeded_all = False
        self.error: str | None = None
        self.finished = False
        try:
            run_id, created = self.scripts["JOIN"](
                keys=[keys.current_key(spider.name)],
                args=[spider.run_id, self.keep, self.worker, self.lease_ms, keys.runs_prefix(spider.name)],
            )
            spider.run_id = run_id.decode()
            self.keys = keys.RunKeys(spider.name, spider.run_id)
            self.seeder = bool(created)
            if self.seeder:
                self.redis.set(self.keys.seeding, self.worker, px=self.lease_ms)
            self._beat()
        except redis.RedisError as exc:
            raise Unreachable(f"queue {redacted(self.uri)} cannot be reached: {exc}") from None
        self.idle = IdleTimer()
        self.loop: task.LoopingCall | None = None
        self._ticks = 0
        # Requests this worker holds that wait for the host's turn (set by SharedPoliteness).
        self.waiting_for_host = 0
        self.stats.set_value("newsspider/cluster/role", "seeder" if self.seeder else "joined")
        logger.info(
            "Worker %s %s run %s on %s",
            self.worker,
            "started" if self.seeder else "joined",
            spider.run_id,
            redacted(self.uri),
        )
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterRun:
        return cls(crawler)

    # --- what the spider and the scheduler ask ------------------------------------------------

    def seeds(self) -> bool:
        """Whether this worker queues the run's start requests (the first one does)."""
        return self.seeder

    def seeded(self) -> None:
        """All start requests are in the queue: the run may end once they are all done."""
        self.seeded_all = True
        self.guard(lambda: (self.redis.set(self.keys.seeded, 1, ex=self.keep), self.redis.delete(self.keys.seeding)))

    def found_closer(self, article_id: str, depth: int) -> list[str] | bool:
        """This worker found an article at ``depth`` hops, where its related list is followed.
        Another worker's fetch that did not follow the list: the list when it is parsed already
        (follow it here), True when that fetch is pending (its worker follows it), else False."""
        result = self.guard(
            lambda: self.scripts["CLOSER"](
                keys=[self.keys.unexpanded, self.keys.closer, self.keys.seen], args=[f"article:{article_id}", depth]
            )
        )
        if isinstance(result, bytes):
            return json.loads(result)
        return result == 1

    def parsed_leaf(self, article_id: str, urls: list[str]) -> int | None:
        """This worker fetched an article without following its related list: the depth another
        worker found it at meanwhile (follow the list at that depth), else None (the list is kept
        for a worker that finds it closer later)."""
        depth = self.guard(
            lambda: self.scripts["LEAF"](
                keys=[self.keys.unexpanded, self.keys.closer], args=[f"article:{article_id}", json.dumps(urls)]
            )
        )
        return None if depth is None else int(depth)

    def fail(self, message: str) -> None:
        """The queue failed: stop this worker, with the run failed."""
        if self.error is not None:
            return
        self.error = message
        self.stats.set_value("newsspider/queue/error", message)
        logger.error("Queue failed, stopping the crawl: %s", message)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="queue_error"))

    # --- signals ------------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(TICK, now=False).addErrback(lambda f: self.fail(f.getErrorMessage()))

    def tick(self) -> None:
        """Beat, renew this worker's leases, give expired ones back, and wake the engine when
        the shared queue has work it would otherwise notice only at its 5-second heartbeat."""
        if self.error is not None:
            return
        engine = self.crawler.engine
        self.idle.update(engine.spider_is_idle())
        self.guard(self._tend)

    def _tend(self) -> None:
        self._ticks += 1
        self._beat()
        if self.seeder and not self.seeded_all:
            self.redis.pexpire(self.keys.seeding, self.lease_ms)
        scheduler = self.crawler.engine._slot.scheduler  # noqa: SLF001 (the engine exposes no other handle)
        scheduler.tend(self.crawler.engine._slot.inprogress)  # noqa: SLF001
        reclaimed = self.scripts["RECLAIM"](keys=[self.keys.queue, self.keys.leases, self.keys.leased])
        if reclaimed:
            self.stats.inc_value("newsspider/cluster/leases_reclaimed", reclaimed)
            logger.warning("%d expired leases (a worker stopped) went back to the queue", reclaimed)
        if self._ticks % 20 == 0:
            # A run's keys outlive its last activity by NEWSSPIDER_QUEUE_KEEP, then Redis drops them.
            pipe = self.redis.pipeline(transaction=False)
            for key in self.keys.all():
                pipe.expire(key, self.keep)
            pipe.expire(keys.current_key(self.spider_name), self.keep)
            pipe.execute()
        if scheduler.has_pending_requests() or self.idle.seconds() >= self.idle_grace:
            # The engine looks at the queue (and asks spider_idle whether to close) on its own
            # only every 5 seconds: work another worker queued, or the run's end, comes sooner.
            self.crawler.engine._slot.nextcall.schedule()  # noqa: SLF001

    def _beat(self) -> None:
        lost = self.scripts["BEAT"](
            keys=[self.keys.workers, self.keys.lost], args=[self.worker, self.lease_ms, self.keep]
        )
        for worker in lost:
            name = worker.decode()
            self.stats.inc_value("newsspider/cluster/workers_lost")
            logger.warning("Worker %s stopped beating: its leased requests go back to the queue", name)
            # The crawl state (a higher layer) listens: this module need not know it.
            self.crawler.signals.send_catch_log(worker_lost, run_id=self.keys.run_id, worker=name)

    def spider_idle(self, spider: Spider) -> None:
        """Close only when the whole run is done, not when this worker's queue is empty."""
        if self.error is not None or self.finished:
            return
        if self.idle.seconds() < self.idle_grace:
            raise DontCloseSpider
        result = self.guard(
            lambda: self.scripts["FINISH"](
                keys=[
                    self.keys.queue,
                    self.keys.leases,
                    self.keys.seeding,
                    self.keys.seeded,
                    self.keys.done,
                    keys.current_key(self.spider_name),
                ],
                args=[self.keys.run_id, self.keep],
            )
        )
        if result == 1:
            self.finished = True
            return
        if result == -1:
            self.fail(
                f"the worker that seeded run {self.keys.run_id} stopped before all its start requests were queued;"
                " the next run seeds again"
            )
            return
        if self.error is None:
            raise DontCloseSpider

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()

    def gather(self, part: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Publish this worker's part of the run report and collect every worker's. A worker of a
        finished run waits (up to one lease period) for the parts of the workers still beating."""
        parts: dict[str, dict[str, Any]] = {self.worker: part}

        def exchange() -> None:
            self.redis.hset(self.keys.parts, self.worker, json.dumps(part, ensure_ascii=False))
            self.redis.expire(self.keys.parts, self.keep)
            deadline = time.monotonic() + (self.lease_ms / 1000 if self.finished else 0)
            while True:
                found = {k.decode(): json.loads(v) for k, v in self.redis.hgetall(self.keys.parts).items()}
                parts.update(found)
                beating = {w.decode() for w in self.redis.hkeys(self.keys.workers)} - {self.worker}
                if beating <= set(found) or time.monotonic() >= deadline:
                    break
                time.sleep(0.2)
            self.redis.hdel(self.keys.workers, self.worker)

        self.guard(exchange)
        lost = self.guard(lambda: sorted(w.decode() for w in self.redis.smembers(self.keys.lost))) or []
        for worker in lost:
            parts.setdefault(worker, {"lost": True})
        return parts

    def guard(self, work: Any) -> Any:
        """Run a Redis operation; a Redis failure fails the run (and gives None)."""
        try:
            return work()
        except redis.RedisError as exc:
            self.fail(f"queue {redacted(self.uri)}: {exc}")
            return None
