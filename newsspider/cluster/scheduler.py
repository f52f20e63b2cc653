"""scrapy-redis's scheduler, queue and duplicate filter, made to share one run safely.

* Each request a worker takes from the shared queue is leased to it (taken and leased in one
  script), renewed while the worker is alive and acknowledged once the engine is done with it:
  downloaded, parsed, its records stored and its new requests queued. A killed worker's leases
  expire and go back to the queue (scrapy-redis loses them: research runs G and G2).
* The duplicate filter is per run and expires, so listings are fetched again by the next run and
  the set does not grow forever; an article page is keyed by its article id (its zh-tw and AMP
  variants are one article).
* The queue is never flushed at close (research run E), the pop never blocks the reactor (run D),
  and the deprecated calls (``inc_value(spider=)``, ``Spider.log``) are avoided.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from itertools import count
from typing import Any

import redis
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from newsspider.cluster import DEDUPE_KEY, keys
from newsspider.cluster.run import ClusterRun
from newsspider.redact import redacted

logger = logging.getLogger(__name__)


class RunDupeFilter(RFPDupeFilter):
    """Requests seen in this run, in a Redis set that expires ``keep`` seconds after its last add."""

    def __init__(self, server: redis.Redis, key: str, keep: int, fingerprinter: Any):
        super().__init__(server, key)
        self.keep = keep
        self.fingerprinter = fingerprinter
        self.seen = server.register_script(keys.SEEN)

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def request_seen(self, request: Request) -> bool:
        key, url, follows = request.meta.get(DEDUPE_KEY) or (None, None, False)
        if key and url == request.url:
            return bool(self.seen(keys=[self.key], args=[key, "1" if follows else "0", self.keep]))
        pipe = self.server.pipeline()
        pipe.sadd(self.key, self.request_fingerprint(request)).expire(self.key, self.keep)
        added, _ = pipe.execute()
        return added == 0

    def close(self, reason: str = "") -> None:
        """Keep the set: scrapy-redis's deletes it, under the workers still crawling (it expires)."""

    def log(self, request: Request, spider: Spider) -> None:
        logger.debug("Filtered duplicate request: %s", request)


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue; :meth:`take` leases what it pops."""

    def take(self, run: ClusterRun, lease_id: str) -> Request | None:
        data = run.scripts["TAKE"](keys=[self.key, run.keys.leases, run.keys.leased], args=[lease_id, run.lease_ms])
        return self._decode_request(data) if data else None


class LeasedScheduler(Scheduler):
    def __init__(self, crawler: Crawler, run: ClusterRun):
        dupefilter = RunDupeFilter(run.redis, run.keys.seen, run.keep, crawler.request_fingerprinter)
        super().__init__(
            run.redis,
            persist=True,
            queue_key=run.keys.queue,
            queue_cls="newsspider.cluster.scheduler.LeasedQueue",
            dupefilter=dupefilter,
            dupefilter_key=run.keys.seen,
            idle_before_close=0,
        )
        self.run = run
        self.stats = crawler.stats
        self.leased: dict[str, Request] = {}
        self._ids = count(1)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasedScheduler:
        run = crawler.get_extension(ClusterRun)
        if run is None:
            raise RuntimeError("LeasedScheduler needs the ClusterRun extension (set NEWSSPIDER_QUEUE_URI)")
        return cls(crawler, run)

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = LeasedQueue(server=self.server, spider=spider, key=self.queue_key)
        waiting = self.run.guard(lambda: len(self.queue))
        if waiting:
            logger.info("Joining a queue of %d requests", waiting)

    def close(self, reason: str) -> None:
        """Give back what this worker took and did not finish, for the others to fetch now."""
        unfinished = list(self.leased)
        if unfinished and self.run.error is None:
            self.run.guard(lambda: self._release(unfinished))
            logger.info("%d unfinished requests given back to the queue", len(unfinished))

    def enqueue_request(self, request: Request) -> bool:
        if self.run.error is not None:
            return False
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            self.queue.push(request)
        except redis.RedisError as exc:
            # The request is lost to this run, which is why the run fails: the next run starts
            # again from the crawl state (research run H2: scrapy-redis dropped such requests silently).
            self.run.fail(f"queue {redacted(self.run.uri)}: {exc}")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.run.error is not None or self.run.waiting_for_host:
            # Take only what this worker can send now: a request held while it waits for the
            # host's turn is one another worker could have sent (fair shares, research run F3).
            return None
        lease_id = f"{self.run.worker}:{next(self._ids)}"
        request = self.run.guard(lambda: self.queue.take(self.run, lease_id))
        if request is None:
            return None
        self.leased[lease_id] = request
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self.run.error is not None:
            return False
        return bool(self.run.guard(lambda: len(self.queue)))

    def tend(self, in_progress: Iterable[Request]) -> None:
        """Acknowledge the leases of requests the engine is done with; renew the others."""
        busy = set(map(id, in_progress))
        done = [lease for lease, request in self.leased.items() if id(request) not in busy]
        if done:
            self.run.redis.pipeline(transaction=False).zrem(self.run.keys.leases, *done).hdel(
                self.run.keys.leased, *done
            ).execute()
            for lease in done:
                del self.leased[lease]
        if self.leased:
            held = self.run.scripts["RENEW"](keys=[self.run.keys.leases], args=[self.run.lease_ms, *self.leased])
            if held < len(self.leased):
                # Expired while this worker was stalled: another worker has them now.
                self.stats.inc_value("newsspider/cluster/leases_expired_here", len(self.leased) - held)

    def _release(self, leases: list[str]) -> None:
        self.run.scripts["RELEASE"](keys=[self.run.keys.queue, self.run.keys.leases, self.run.keys.leased], args=leases)
        for lease in leases:
            self.leased.pop(lease, None)
