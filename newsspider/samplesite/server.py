"""Serve a :class:`SampleSite` over HTTP on loopback.

``python -m newsspider serve --port 0`` prints ``serving http://127.0.0.1:PORT`` once it is
ready, and (with ``--log FILE``) appends every requested path to FILE. Between crawls,
``POST /__admin/publish?count=N`` adds N new articles and ``POST /__admin/edit?count=N`` changes
the text of N listed ones; both answer ``{"ids": [...]}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from newsspider.samplesite.generator import VARIANTS, SampleSite


class SampleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: SampleSite, port: int = 0, log_path: Path | None = None):
        super().__init__(("127.0.0.1", port), _Handler)
        self.site = site
        self.log_path = log_path
        self.requested: list[str] = []
        self._lock = threading.Lock()
        self.lock = threading.Lock()  # pages and admin changes

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, path: str) -> None:
        with self._lock:
            self.requested.append(path)
            if self.log_path:
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(path + "\n")

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="sample-site", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: SampleServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.record(self.path)
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        with self.server.lock:
            status, content_type, body = self.server.site.render(self.path, f"http://{host}")
        self._send(status, content_type, body)

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        action = {"/__admin/publish": self.server.site.publish, "/__admin/edit": self.server.site.edit}.get(parts.path)
        try:
            count = int(parse_qs(parts.query).get("count", ["1"])[0])
        except ValueError:
            count = -1
        if action is None or count < 0:
            self._send(400, "application/json", json.dumps({"error": "POST /__admin/{publish,edit}?count=N"}))
            return
        with self.server.lock:
            ids = action(count)
        self._send(200, "application/json", json.dumps({"ids": ids}))

    def _send(self, status: int, content_type: str, body: str) -> None:
        payload = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log is ``--log``."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--articles", type=int, default=320)
    parser.add_argument("--variant", default="real", choices=VARIANTS, help="drifted-headline: a broken template")
    parser.add_argument("--log", type=Path, help="append each requested path to this file")
    args = parser.parse_args(argv)
    site = SampleSite(seed=args.seed, articles=args.articles, variant=args.variant)
    server = SampleServer(site, args.port, args.log)
    print(f"serving {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
