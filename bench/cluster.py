"""Several workers: one run shared through Redis (queue) and PostgreSQL (state), 1, 2 and 4 workers.

    python -m bench.cluster              # measure and write the "Several workers" section of RESULTS.md
    python -m bench.cluster --articles 160 --rounds 1 --no-write   # a smoke run

Every worker runs the same ``scrapy crawl bannedbook`` command against a loopback sample site
whose server waits 50 ms before each answer, with the politeness budget lifted. Each
configuration gets a flushed Redis and a fresh PostgreSQL database; rounds alternate, the best
round of each configuration is reported. Redis and PostgreSQL are the real servers the tests
start (tests/servers.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.results import write_section

PROJECT = Path(__file__).resolve().parent.parent
SECTION = "## 4. Several workers"
DELAY = 0.05
WORKERS = (1, 2, 4)
SETTINGS: dict[str, Any] = {
    "NEWSSPIDER_HOST_DELAY": 0,
    "NEWSSPIDER_HOST_CONCURRENCY": 64,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "AUTOTHROTTLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
}
PG_COUNTERS = ("xact_commit", "tup_inserted", "tup_updated", "tup_fetched")


def _clock_ticks(pid: int, children: bool = False) -> float:
    """CPU seconds of a process (and of its waited-for children) from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(f) for f in fields[11 : 15 if children else 13])  # utime stime [cutime cstime]
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Servers:
    redis: Any  # tests.servers.RedisServer
    postgres: Any  # tests.servers.PostgresServer
    site: Any  # tests.conftest.SampleServerProcess
    folder: Path
    start_urls: list[str]
    public_ids: list[str]
    first_missing: dict[str, list[str]] = field(default_factory=dict)  # the first run's, to keep odd runs' logs

    def cpu(self) -> dict[str, float]:
        postmaster = int((self.postgres.data / "postmaster.pid").read_text().split()[0])
        return {
            "redis": _clock_ticks(self.redis.process.pid),
            "postgres": _clock_ticks(postmaster, children=True),
            "site": _clock_ticks(self.site.process.pid),
        }


@contextmanager
def servers(articles: int) -> Iterator[Servers]:
    sys.path.insert(0, str(PROJECT))
    from newsspider.samplesite.generator import SampleSite
    from newsspider.samplesite.templates.bannedbook_article import LISTED_SECTIONS
    from newsspider.sites.bannedbook import CATEGORIES
    from tests.conftest import SampleServerProcess
    from tests.servers import PostgresServer, RedisServer

    with tempfile.TemporaryDirectory(prefix="newsspider-cluster-") as tmp:
        folder = Path(tmp)
        redis = RedisServer(folder)
        postgres = PostgresServer()
        site = SampleServerProcess(
            folder / "requests.log", articles=articles, delay=DELAY, cache=True, time_log=folder / "times.log"
        )
        try:
            listed = [section for section, _ in LISTED_SECTIONS if section in CATEGORIES]
            starts = [f"{site.base_url}/bnews/{c}/" for c in listed]
            yield Servers(redis, postgres, site, folder, starts, list(SampleSite(articles=articles).public_ids))
        finally:
            site.stop()
            redis.stop()
            postgres.stop()


def redis_counts(client: Any) -> dict[str, int]:
    counts = {name.removeprefix("cmdstat_"): int(stats["calls"]) for name, stats in client.info("commandstats").items()}
    counts["total"] = int(client.info("stats")["total_commands_processed"])
    return counts


def pg_counts(srv: Servers, database: str) -> dict[str, int]:
    row = srv.postgres.sql(
        "postgres",
        f"SELECT {', '.join(PG_COUNTERS)} FROM pg_stat_database WHERE datname = %s",
        database,
    )[0]
    return dict(zip(PG_COUNTERS, row, strict=True))


def crawl(srv: Servers, workers: int, label: str) -> dict[str, Any]:
    """One run of ``workers`` processes on a flushed Redis and a fresh database."""
    from tests.conftest import crawl_command, subprocess_env

    database = f"bench_{label}"
    srv.postgres.sql("postgres", f"CREATE DATABASE {database}")
    client = srv.redis.client()
    client.flushall()
    client.config_resetstat()
    folder = srv.folder / label
    folder.mkdir()
    settings = {
        **SETTINGS,
        "NEWSSPIDER_QUEUE_URI": srv.redis.url,
        "NEWSSPIDER_STATE_URI": srv.postgres.url.rsplit("/", 1)[0] + "/" + database,
    }
    redis_before, pg_before, cpu_before = redis_counts(client), pg_counts(srv, database), srv.cpu()
    started_wall, started = time.time(), time.monotonic()
    processes = [
        subprocess.Popen(
            crawl_command(
                srv.start_urls,
                {**settings, "LOG_FILE": folder / f"worker{i}.log"},
                folder / f"worker{i}.jsonl",
                "-a",
                "related_depth=1",
            ),
            cwd=PROJECT,
            env=subprocess_env(),
        )
        for i in range(workers)
    ]
    statuses, cpu_workers = [], 0.0
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        statuses.append(os.waitstatus_to_exitcode(status))
        cpu_workers += usage.ru_utime + usage.ru_stime
    seconds = time.monotonic() - started
    cpu_after = srv.cpu()
    time.sleep(0.5)  # backends report their statistics as they exit
    redis_after, pg_after = redis_counts(client), pg_counts(srv, database)
    records, distinct, runs = srv.postgres.sql(
        database,
        "SELECT count(*), count(DISTINCT article_id), (SELECT array_agg(status) FROM runs) FROM records",
    )[0]
    ids = {row[0] for row in srv.postgres.sql(database, "SELECT article_id FROM records")}
    times = [
        float(line.split()[0])
        for line in (srv.folder / "times.log").read_text().splitlines()
        if float(line.split()[0]) >= started_wall
    ]
    redis_ops = {k: v - redis_before.get(k, 0) for k, v in redis_after.items() if v > redis_before.get(k, 0)}
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after} | {"workers": cpu_workers}
    result = {
        "workers": workers,
        "statuses": statuses,
        "records": records,
        "distinct": distinct,
        "runs": runs,
        "missing": sorted(set(srv.public_ids) - ids),
        "pages": len(times),
        "seconds": seconds,
        "records_per_second": records / seconds,
        # from the first worker start to the first and after the last request the site answered
        "first_request": min(times, default=started_wall) - started_wall,
        "tail": started_wall + seconds - max(times, default=started_wall),
        "crawl_seconds": max(times, default=0.0) - min(times, default=0.0),
        "redis_ops": redis_ops,
        "pg_ops": {k: pg_after[k] - pg_before[k] for k in PG_COUNTERS},
        "cpu": cpu,
    }
    if result["missing"] != srv.first_missing.setdefault("ids", result["missing"]):
        kept = Path(tempfile.gettempdir()) / f"newsspider-bench-cluster-{label}"
        shutil.copytree(folder, kept, dirs_exist_ok=True)
        result["logs"] = str(kept)
    return result


def correct(run: dict[str, Any], expected: int) -> bool:
    """Every worker exited 0, each article id is in ``records`` once, the run finished, and it
    has as many records as the best one-worker run."""
    return (
        all(s == 0 for s in run["statuses"])
        and run["records"] == run["distinct"] == expected
        and run["runs"] == ["finished"]
    )


def redis_memory(count: int = 100_000) -> dict[str, float]:
    """Bytes of Redis memory per entry: queued requests as the run's queue holds them, and
    duplicate-filter members as RunDupeFilter stores them (article keys, request fingerprints)."""
    from newsspider.cluster.scheduler import LeasedQueue
    from newsspider.spiders.bannedbook import BannedbookSpider
    from tests.servers import RedisServer

    spider = BannedbookSpider()
    spider.related_depth = 1  # what from_crawler sets from the settings
    base = "https://www.bannedbook.org/bnews"
    out = {}
    with tempfile.TemporaryDirectory(prefix="newsspider-redis-") as tmp:
        server = RedisServer(Path(tmp))
        client = server.client()
        queue = LeasedQueue(server=client, spider=spider, key="newsspider:bannedbook:run:1:queue")
        kinds = {
            "queued request": lambda i: (
                -0,
                queue._encode_request(
                    spider._article_request(
                        f"{base}/worldnews/2024{i % 12 + 1:02d}{i % 28 + 1:02d}/{2_000_000 + i}.html",
                        "listing",
                        0,
                        f"{base}/worldnews/",
                    )
                ),
            ),
            "seen article id": lambda i: f"article:{2_000_000 + i}:expand",
            "seen fingerprint": lambda i: os.urandom(20).hex(),
        }
        try:
            for kind, entry in kinds.items():
                client.flushall()
                before = int(client.info("memory")["used_memory"])
                key = "newsspider:bannedbook:run:1:" + ("queue" if kind == "queued request" else "seen")
                for start in range(0, count, 1000):
                    pipe = client.pipeline(transaction=False)
                    for i in range(start, min(start + 1000, count)):
                        value = entry(i)
                        if isinstance(value, tuple):
                            pipe.zadd(key, {value[1]: value[0]})
                        else:
                            pipe.sadd(key, value)
                    pipe.execute()
                out[kind] = (int(client.info("memory")["used_memory"]) - before) / count
            out["request bytes"] = len(kinds["queued request"](0)[1])
        finally:
            server.stop()
    return out


def run(articles: int = 640, rounds: int = 3) -> dict[str, Any]:
    results: dict[int, list[dict[str, Any]]] = {n: [] for n in WORKERS}
    with servers(articles) as srv:
        for r in range(rounds):
            for n in WORKERS:
                print(f"  {n} worker(s), round {r + 1}…", flush=True)
                results[n].append(crawl(srv, n, f"w{n}_r{r}"))
        start_urls = [u.removeprefix(srv.site.base_url) for u in srv.start_urls]
        public = len(srv.public_ids)
    best = {n: max(runs, key=lambda r: r["records_per_second"]) for n, runs in results.items()}
    return {
        "articles": articles,
        "start_urls": start_urls,
        "rounds": rounds,
        "public": public,
        "runs": results,
        "best": best,
        "all_correct": all(correct(r, best[1]["records"]) for runs in results.values() for r in runs),
        "ratio": {n: best[n]["records_per_second"] / best[1]["records_per_second"] for n in WORKERS},
        "crawl_ratio": {n: _crawl_rate(best[n]) / _crawl_rate(best[1]) for n in WORKERS},
        "memory": redis_memory(),
    }


def _crawl_rate(r: dict[str, Any]) -> float:
    """Records per second between the first and the last request the site answered."""
    return r["records"] / max(r["crawl_seconds"], 1e-9)


def render(m: dict[str, str], res: dict[str, Any], command: str) -> str:
    best, ratio, mem = res["best"], res["ratio"], res["memory"]
    lines = [
        SECTION,
        "",
        f"Measured {m['date']} on {m['cpu']} (`nproc` {os.cpu_count()}), commit {m['commit']}, Redis "
        f"{res.get('redis_version', '?')}, PostgreSQL {res.get('postgres_version', '?')}: `{command}`.",
        "",
        f"A sample site of {res['articles']} articles on 127.0.0.1, its server waiting {DELAY * 1000:.0f} ms before "
        f"each answer; start URLs {', '.join(f'`{u}`' for u in res['start_urls'])}, `-a related_depth=1`; "
        "`NEWSSPIDER_HOST_DELAY=0`, `NEWSSPIDER_HOST_CONCURRENCY=64`, `CONCURRENT_REQUESTS=16`, per domain 16, "
        "no download delay, no AutoThrottle. Each configuration on a flushed Redis and a fresh PostgreSQL "
        f"database; {res['rounds']} rounds alternating, the best of each. Time: first worker started to last "
        "worker exited; records: `SELECT count(*) FROM records`.",
        "",
        "| workers | records | seconds | records/s | vs 1 worker | first request / tail after last | "
        "records/s first to last request (vs 1) | Redis cmds/record | PG xacts/record | "
        "PG tuples ins/upd/fetched per record |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, r in best.items():
        per = r["records"] or 1
        pg = r["pg_ops"]
        lines.append(
            f"| {n} | {r['records']} | {r['seconds']:.1f} | {r['records_per_second']:.1f} | {ratio[n]:.2f}x | "
            f"{r['first_request']:.1f} s / {r['tail']:.1f} s | {_crawl_rate(r):.1f} ({res['crawl_ratio'][n]:.2f}x) | "
            f"{r['redis_ops']['total'] / per:.1f} | "
            f"{pg['xact_commit'] / per:.1f} | {pg['tup_inserted'] / per:.1f} / {pg['tup_updated'] / per:.1f} / "
            f"{pg['tup_fetched'] / per:.0f} |"
        )
    met = ratio[2] >= 1.7
    lines += [
        "",
        f"- 2 workers vs 1: **{ratio[2]:.2f}x** (target at least 1.7x: {'met' if met else 'missed'}); "
        f"4 workers: {ratio[4]:.2f}x",
        f"- every run correct (all workers exit 0, each article id once in `records`, the run `finished`, "
        f"the same {best[1]['records']} records in every run): {'yes' if res['all_correct'] else 'NO'}",
        f"- records vs the site's {res['public']} public articles: "
        + "; ".join(
            f"{n} worker(s) {r['records']} (missing {', '.join(r['missing']) or 'none'})" for n, r in best.items()
        ),
        "",
        "All rounds (records/s):",
        "",
        *(
            f"- {n} worker(s): "
            + ", ".join(
                f"{r['records_per_second']:.1f}" + (f" (logs {r['logs']})" if "logs" in r else "") for r in runs
            )
            for n, runs in res["runs"].items()
        ),
        "",
        "Redis commands per record by command (best rounds; commands run inside scripts are counted "
        "under their own names as well as in the total):",
        "",
        "| workers | " + " | ".join(_top_commands(best)) + " |",
        "|---|" + "---|" * len(_top_commands(best)),
    ]
    for n, r in best.items():
        per = r["records"] or 1
        lines.append(
            f"| {n} | " + " | ".join(f"{r['redis_ops'].get(c, 0) / per:.2f}" for c in _top_commands(best)) + " |"
        )
    lines += [
        "",
        "CPU seconds during the best runs (workers: their own `getrusage`; servers: `/proc/<pid>/stat`), "
        "against the machine's cores x the run's seconds:",
        "",
        "| workers | workers' CPU s | per record | Redis | PostgreSQL | sample site | total / available |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, r in best.items():
        c = r["cpu"]
        total = sum(c.values())
        lines.append(
            f"| {n} | {c['workers']:.1f} | {c['workers'] / (r['records'] or 1) * 1000:.0f} ms | {c['redis']:.1f} | "
            f"{c['postgres']:.1f} | {c['site']:.1f} | {total:.1f} / {os.cpu_count() * r['seconds']:.1f} "
            f"({total / (os.cpu_count() * r['seconds']):.0%}) |"
        )
    lines += [
        "",
        f"Redis memory (`used_memory` before and after filling a fresh Redis with 100,000 entries, scaled; "
        f"a queued request is the pickled article request as the run's queue encodes it, {mem['request bytes']} "
        "bytes):",
        "",
        "| entries | MiB per million |",
        "|---|---|",
        *(
            f"| {kind} | {mem[kind] * 1e6 / 2**20:.0f} |"
            for kind in ("queued request", "seen article id", "seen fingerprint")
        ),
    ]
    return "\n".join(lines) + "\n"


def _top_commands(best: dict[int, dict[str, Any]], n: int = 8) -> list[str]:
    calls: dict[str, int] = {}
    for r in best.values():
        for name, value in r["redis_ops"].items():
            if name not in ("total", "info", "config|resetstat", "flushall"):
                calls[name] = calls.get(name, 0) + value
    return sorted(calls, key=calls.__getitem__, reverse=True)[:n]


def versions(res: dict[str, Any]) -> None:
    out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    res["redis_version"] = (re.search(r"v=(\S+)", out) or re.search(r"(\S+)", out or "?")).group(1)
    from newsspider.cluster.local import find

    pg = subprocess.run([find("postgres"), "--version"], capture_output=True, text=True).stdout.split()
    res["postgres_version"] = pg[2] if len(pg) > 2 else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=640)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print the section, leave RESULTS.md alone")
    args = parser.parse_args(argv)
    from bench.run import machine

    m = machine()
    res = run(args.articles, args.rounds)
    # Saved first: the runs take minutes, and the report below can be rebuilt from this file.
    (Path(tempfile.gettempdir()) / "newsspider-bench-cluster.json").write_text(json.dumps(res, default=str))
    versions(res)
    text = render(m, res, "python -m bench.cluster " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0 if res["all_correct"] else 1


if __name__ == "__main__":
    sys.exit(main())
