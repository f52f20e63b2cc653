"""``python -m newsspider cluster``: a local cluster in one command.

Starts Redis and PostgreSQL of its own (or uses ``--redis``/``--postgres``), the sample site,
and N workers (``scrapy crawl bannedbook``, the same command each); waits for them and prints
the combined result: every worker's exit status and records, and the run's records in the
state's records table checked against the records the sample site expects.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import redis

from newsspider.cli import Parser, at_least
from newsspider.cluster import local
from newsspider.errors import StateError, Unreachable
from newsspider.redact import redacted
from newsspider.samplesite.generator import MIN_ARTICLES, SampleSite
from newsspider.samplesite.server import SampleServer
from newsspider.state.postgres import PostgresStateStore

PROJECT = Path(__file__).resolve().parents[2]
# Loopback: a small per-host budget is still enforced for the run, to show it holds.
SETTINGS = {
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "NEWSSPIDER_HOST_DELAY": 0,
    "NEWSSPIDER_HOST_CONCURRENCY": 8,
    "NEWSSPIDER_HOST_AUTOTHROTTLE": False,
    "LOG_LEVEL": "INFO",
}


def worker_command(spider: str, index: int, start_urls: list[str], queue: str, state: str, folder: Path) -> list[str]:
    settings = {
        **SETTINGS,
        "NEWSSPIDER_QUEUE_URI": queue,
        "NEWSSPIDER_STATE_URI": state,
        "NEWSSPIDER_DEFAULT_FEED": str(folder / f"worker{index}" / "%(run_id)s.jsonl"),
        "LOG_FILE": str(folder / f"worker{index}" / "crawl.log"),
    }
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    command += ["-a", "start_urls=" + ",".join(start_urls)]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def check_servers(queue: str | None, state: str | None) -> None:
    """Servers given on the command line must answer before anything starts."""
    if queue is not None:
        try:
            redis.Redis.from_url(queue, socket_connect_timeout=5).ping()
        except (redis.RedisError, ValueError) as exc:
            raise Unreachable(f"--redis {redacted(queue)} cannot be reached: {exc}") from None
    if state is not None:
        PostgresStateStore(state).close()


def run(workers: int, output: Path, queue: str | None, state: str | None, articles: int, seed: int) -> int:
    check_servers(queue, state)
    with ExitStack() as stack:
        if queue is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="newsspider-redis-")))
            redis_server = local.RedisServer(folder)
            stack.callback(redis_server.stop)
            queue = redis_server.url
        if state is None:
            postgres = local.PostgresServer()
            stack.callback(postgres.stop)
            state = postgres.url
        site = SampleSite(seed=seed, articles=articles)
        server = SampleServer(site)
        server.start_in_thread()
        stack.callback(server.shutdown)
        output.mkdir(parents=True, exist_ok=True)
        run_folder = Path(tempfile.mkdtemp(prefix="cluster-", dir=output)).resolve()
        for i in range(1, workers + 1):
            (run_folder / f"worker{i}").mkdir()
        print(f"sample site: {server.base_url} ({len(site.public_ids)} articles)")
        print(f"queue: {redacted(queue)}\nstate: {redacted(state)}\nworkers: {workers}", flush=True)
        start_urls = site.start_urls(server.base_url)
        processes = [
            subprocess.Popen(worker_command(site.spider, i, start_urls, queue, state, run_folder), cwd=PROJECT)
            for i in range(1, workers + 1)
        ]
        statuses = [process.wait() for process in processes]
        got: list[str] = []
        for i, status in enumerate(statuses, start=1):
            lines = [
                json.loads(line)["articleId"]
                for path in sorted((run_folder / f"worker{i}").glob("*.jsonl"))
                for line in path.read_text("utf-8").splitlines()
            ]
            got += lines
            print(f"worker {i}: exit {status}, {len(lines)} records -> {run_folder / f'worker{i}'}")
        run_ids = {path.stem for path in run_folder.glob("worker*/*.jsonl")}  # the feed is <run id>.jsonl
        store = PostgresStateStore(state)
        committed = [record["articleId"] for run_id in run_ids for record in store.records(site.spider, run_id)]
        store.close()
        expected = set(site.public_ids)
        missing = sorted(expected - set(committed))
        unexpected = sorted(set(committed) - expected)
        duplicates = len(committed) - len(set(committed)) + len(got) - len(set(got))
        print(
            f"records table: {len(committed)} records\n"
            f"missing: {len(missing)}  unexpected: {len(unexpected)}  duplicates: {duplicates}"
        )
        return 0 if not missing and not unexpected and not duplicates and not any(statuses) else 1


def main(argv: list[str] | None = None) -> int:
    parser = Parser("cluster", __doc__)
    parser.add_argument("--workers", type=at_least(1), default=2, help="worker processes (default 2)")
    parser.add_argument("--redis", metavar="URI", help="use this Redis instead of starting one")
    parser.add_argument("--postgres", metavar="URI", help="use this PostgreSQL database instead of starting one")
    parser.add_argument("--output", type=Path, default=Path("output"), help="folder for the workers' JSON Lines")
    parser.add_argument(
        "--articles", type=at_least(MIN_ARTICLES), default=320, help="the sample site's articles (default: 320)"
    )
    parser.add_argument("--seed", type=int, default=2024, help="the sample site's seed (default: 2024)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    try:
        return run(args.workers, args.output, args.redis, args.postgres, args.articles, args.seed)
    except local.ServerMissing as exc:
        print(f"newsspider cluster: error: {exc}", file=sys.stderr)
        return 2
    except (Unreachable, StateError) as exc:
        print(f"newsspider cluster: error: {exc}", file=sys.stderr)
        return 5


if __name__ == "__main__":
    sys.exit(main())
