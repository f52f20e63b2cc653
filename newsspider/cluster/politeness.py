"""Politeness for the run as a whole: every worker asks Redis before it sends a request.

A host gets at most ``NEWSSPIDER_HOST_CONCURRENCY`` requests in flight and one request every
``NEWSSPIDER_HOST_DELAY`` seconds from all workers together (both default to the one-worker
settings, ``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``DOWNLOAD_DELAY``). With AutoThrottle on, its
delay is computed from every worker's latencies and shared the same way. A slot held by a
worker that died expires after the download timeout.
"""

from __future__ import annotations

import asyncio
from itertools import count

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from newsspider import config
from newsspider.cluster import keys
from newsspider.cluster.run import ClusterRun

SLOT = "_newsspider_host_slot"


class SharedPoliteness:
    def __init__(self, crawler: Crawler, run: ClusterRun):
        settings = crawler.settings
        self.run = run
        self.stats = crawler.stats
        self.delay_ms = int(config.setting(settings, "NEWSSPIDER_HOST_DELAY") * 1000)
        self.slots: int = config.setting(settings, "NEWSSPIDER_HOST_CONCURRENCY")
        self.slot_ms = int((settings.getfloat("DOWNLOAD_TIMEOUT") + 30) * 1000)
        self.autothrottle: bool = config.setting(settings, "NEWSSPIDER_HOST_AUTOTHROTTLE")
        self.throttle_args = [
            settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY"),
            int(settings.getfloat("AUTOTHROTTLE_START_DELAY") * 1000),
            self.delay_ms,
            int(settings.getfloat("AUTOTHROTTLE_MAX_DELAY") * 1000),
        ]
        self.admit = run.redis.register_script(keys.ADMIT)
        self.throttle = run.redis.register_script(keys.THROTTLE)
        self._tokens = count(1)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPoliteness:
        run = crawler.get_extension(ClusterRun)
        if run is None:
            raise NotConfigured
        return cls(crawler, run)

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        token = f"{self.run.worker}:{next(self._tokens)}"
        self.run.waiting_for_host += 1
        try:
            await self._admit(request, host, token)
        finally:
            self.run.waiting_for_host -= 1

    async def _admit(self, request: Request, host: str, token: str) -> None:
        waited = 0
        while self.run.error is None:
            try:
                wait = self.admit(keys=keys.host_keys(host), args=[token, self.delay_ms, self.slots, self.slot_ms])
            except redis.RedisError as exc:
                self.run.fail(f"queue: {exc}")
                break
            if not wait:
                request.meta[SLOT] = (host, token)
                break
            waited += wait
            await asyncio.sleep(wait / 1000)
        if waited:
            self.stats.inc_value("newsspider/politeness/waited_ms", waited)

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        latency = request.meta.get("download_latency")
        if self.autothrottle and latency is not None:
            host = urlparse_cached(request).hostname or ""
            ok = "1" if response.status < 400 else "0"
            try:
                self.throttle(keys=keys.host_keys(host)[2:], args=[int(latency * 1000), *self.throttle_args, ok])
            except redis.RedisError as exc:
                self.run.fail(f"queue: {exc}")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)

    def _release(self, request: Request) -> None:
        slot = request.meta.pop(SLOT, None)
        if slot is None:
            return
        host, token = slot
        try:
            self.run.redis.zrem(keys.host_keys(host)[1], token)
        except redis.RedisError as exc:
            self.run.fail(f"queue: {exc}")
