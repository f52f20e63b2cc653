"""Serve a :class:`SampleSite` over HTTP on loopback.

``python -m newsspider serve --port 0`` prints ``serving http://127.0.0.1:PORT`` once it is
ready, and (with ``--log FILE``) appends every requested path to FILE. Between crawls,
``POST /__admin/publish?count=N[&date=YYYY-MM-DD]`` adds N new articles and
``POST /__admin/edit?count=N[&ids=A,B][&at=ISO time]`` changes the text of N listed ones (or the
ones named, at the time given); both answer ``{"ids": [...]}``. Feeds, FeedBurner-style feeds
(``/feedburner/bnews/<section>``), robots.txt and the Yoast-style sitemap index follow every change. With ``--faults SEED`` the site
misbehaves as :mod:`newsspider.samplesite.faults` plans, and ``--fault-log FILE`` gets one JSON
line per request: ``{"t", "path", "status", "fault"}``. With ``--blocked`` every request is answered
with Cloudflare's challenge page, as the real site has answered bots. ``--site rfi`` serves the
site as RFI Chinese instead (its feeds ``/cn/rss`` and ``/cn/<section>/atom``, its sitemap index
``/sitemap.xml``), with the same admin endpoints.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from newsspider.cli import Parser, at_least
from newsspider.samplesite.faults import Answer, FaultPlan, challenge_answer
from newsspider.samplesite.generator import MIN_ARTICLES, SITEMAP_SIZE, TEMPLATES, VARIANTS, SampleSite


class SampleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        site: SampleSite,
        port: int = 0,
        log_path: Path | None = None,
        faults: FaultPlan | None = None,
        fault_log: Path | None = None,
    ):
        super().__init__(("127.0.0.1", port), _Handler)
        self.site = site
        self.log_path = log_path
        self.faults = faults
        self.fault_log = fault_log
        self.cache: dict | None = None
        self.blocked = False
        self.delay = 0.0
        self.time_log: Path | None = None
        self._lock = threading.Lock()
        self.lock = threading.Lock()  # pages and admin changes

    def render(self, path: str, base: str) -> tuple[int, str, str | bytes]:
        """The site's page, from the cache when ``--cache`` asked for one (benchmarks: the server
        should cost the crawler's machine as little as possible)."""
        if self.cache is None:
            return self.site.render(path, base, self.base_url)
        key = (path, base, len(self.site.articles))
        if key not in self.cache:
            self.cache[key] = self.site.render(path, base, self.base_url)
        return self.cache[key]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, path: str, host: str | None = None) -> None:
        """Log a request: its path, or ``//host/path`` when it was asked for by another host name
        (a feed host's, say) than the server's own address."""
        if host and host != f"127.0.0.1:{self.server_address[1]}":
            path = f"//{host}{path}"
        if self.time_log:
            with self._lock, self.time_log.open("a", encoding="utf-8") as log:
                log.write(f"{time.time():.6f} {path}\n")
        if self.log_path:
            with self._lock, self.log_path.open("a", encoding="utf-8") as log:
                log.write(path + "\n")

    def record_fault(self, path: str, status: int, fault: str | None) -> None:
        if self.fault_log:
            with self._lock, self.fault_log.open("a", encoding="utf-8") as log:
                log.write(json.dumps({"t": time.time(), "path": path, "status": status, "fault": fault}) + "\n")

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="sample-site", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: SampleServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        self.server.record(self.path, host)
        if self.server.delay:
            time.sleep(self.server.delay)  # a slower site, for politeness and throughput tests
        if self.server.blocked:
            self._answer(challenge_answer())
            return
        if self.server.faults is not None:
            with self.server.lock:
                answer, fault = self.server.faults.respond(self.path, f"http://{host}", self.server.base_url)
            self.server.record_fault(self.path, answer.status, fault)
            self._answer(answer)
            return
        with self.server.lock:
            status, content_type, body = self.server.render(self.path, f"http://{host}")
        self._send(status, content_type, body)

    def _answer(self, answer: Answer) -> None:
        if answer.reset:
            # SO_LINGER 0: close() sends a TCP reset instead of a clean end.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            self.wfile = _Discard()
            return
        time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            length = answer.declared_length if answer.declared_length is not None else len(answer.body)
            self.send_header("Content-Length", str(length))
            if answer.declared_length is not None:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout, size cap)

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        action = {"/__admin/publish": self.server.site.publish, "/__admin/edit": self.server.site.edit}.get(parts.path)
        try:
            count = int(parse_qs(parts.query).get("count", ["1"])[0])
        except ValueError:
            count = -1
        if action is None or count < 0:
            self._send(
                400,
                "application/json",
                json.dumps({"error": "POST /__admin/{publish,edit}?count=N[&date=YYYY-MM-DD][&ids=A,B][&at=ISO time]"}),
            )
            return
        query = parse_qs(parts.query)
        day, which, at = (query.get(name, [None])[0] for name in ("date", "ids", "at"))
        with self.server.lock:
            if parts.path == "/__admin/publish":
                ids = action(count, date.fromisoformat(day) if day else None)
            else:
                ids = action(count, which.split(",") if which else None, datetime.fromisoformat(at) if at else None)
        self._send(200, "application/json", json.dumps({"ids": ids}))

    def _send(self, status: int, content_type: str, body: str | bytes) -> None:
        payload = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log is ``--log``."""


class _Discard:
    """Stands in for the socket writer of a connection that was reset on purpose."""

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = Parser("serve", __doc__)
    parser.add_argument("--port", type=at_least(0), default=8000, help="0 picks a free port (default: 8000)")
    parser.add_argument("--site", default="bannedbook", choices=TEMPLATES, help="the site imitated")
    parser.add_argument("--seed", type=int, default=2024, help="the sample site's seed (default: 2024)")
    parser.add_argument(
        "--articles", type=at_least(MIN_ARTICLES), default=320, help="the sample site's articles (default: 320)"
    )
    parser.add_argument("--sitemap-size", type=int, default=SITEMAP_SIZE, help="articles per post sitemap")
    parser.add_argument("--variant", default="real", choices=VARIANTS, help="drifted-headline: a broken template")
    parser.add_argument("--log", type=Path, help="append each requested path to this file")
    parser.add_argument("--faults", type=int, metavar="SEED", help="inject the seeded fault plan")
    parser.add_argument("--cache", action="store_true", help="keep rendered pages in memory (benchmarks)")
    parser.add_argument("--fault-log", type=Path, help="append one JSON line per request: path, status, fault")
    parser.add_argument("--blocked", action="store_true", help="answer every request with a bot challenge")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each answer")
    parser.add_argument("--time-log", type=Path, help="append '<unix time> <path>' for each request")
    args = parser.parse_args(argv)
    site = SampleSite(
        seed=args.seed, articles=args.articles, variant=args.variant, sitemap_size=args.sitemap_size, site=args.site
    )
    faults = FaultPlan(site, seed=args.faults) if args.faults is not None else None
    try:
        server = SampleServer(site, args.port, args.log, faults, args.fault_log)
    except OSError as exc:
        print(f"newsspider serve: error: cannot listen on 127.0.0.1:{args.port} ({exc.strerror})", file=sys.stderr)
        return 2
    if args.cache:
        server.cache = {}
    server.blocked = args.blocked
    server.delay = args.delay
    server.time_log = args.time_log
    print(f"serving {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
