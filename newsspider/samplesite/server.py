"""Serve a :class:`SampleSite` over HTTP on loopback.

``python -m newsspider.samplesite.server --port 0`` prints ``serving http://127.0.0.1:PORT``
once it is ready, and (with ``--log FILE``) appends every requested path to FILE.
"""

from __future__ import annotations

import argparse
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from newsspider.samplesite.generator import SampleSite


class SampleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: SampleSite, port: int = 0, log_path: Path | None = None):
        super().__init__(("127.0.0.1", port), _Handler)
        self.site = site
        self.log_path = log_path
        self.requested: list[str] = []
        self._lock = threading.Lock()

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
        status, content_type, body = self.server.site.render(self.path, f"http://{host}")
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
    parser.add_argument("--log", type=Path, help="append each requested path to this file")
    args = parser.parse_args(argv)
    server = SampleServer(SampleSite(seed=args.seed, articles=args.articles), args.port, args.log)
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
