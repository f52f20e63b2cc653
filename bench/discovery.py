"""Discovery: requests per record for each discovery mode, and lazy sitemap reading at scale.

    python -m bench.discovery            # measure, write sections 5 and 6 of RESULTS.md
    python -m bench.discovery --no-write # print them only

Section 5 runs, for each ``-a discover=`` mode, a first crawl of the sample site and then an
hourly run after 5 publishes and 3 edits (two recent articles, one years old), on one state.
Section 6 crawls a synthetic site of 200 sitemaps x 1,000 articles on loopback, stopped after
3,000 records, from its sitemaps and from its listings: peak RSS and the most requests queued.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.crawl import ENGINE, run_watched
from bench.results import write_section

MODES = ("listings", "feeds", "sitemaps", "listings,sitemaps", "feeds,sitemaps")
DAY = "2030-03-10"  # the new articles' day; the runs are early the next morning, after all of them
FIRST, EDITED, HOURLY = "2030-03-11T01:00:00+00:00", "2030-03-11T01:30:00+00:00", "2030-03-11T02:00:00+00:00"
SECTION_REQUESTS = "## 5. Discovery: requests per record"
SECTION_SCALE = "## 6. Reading sitemaps lazily"


def scrapy_crawl(start_urls: list[str], args: list[str], settings: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """One ``scrapy crawl bannedbook`` in its own process: its report, records and peak RSS."""
    feed = tmp / f"run-{time.monotonic_ns()}.jsonl"
    command = [sys.executable, "-m", "scrapy", "crawl", "bannedbook", "-a", "start_urls=" + ",".join(start_urls)]
    for arg in args:
        command += ["-a", arg]
    command += ["-O", str(feed)]
    for name, value in {**ENGINE, "LOG_FILE": tmp / "crawl.log", **settings}.items():
        command += ["-s", f"{name}={value}"]
    status, peak = run_watched(command)
    report = json.loads(feed.with_name(feed.stem + ".report.json").read_text("utf-8"))
    records = [json.loads(line) for line in feed.read_text("utf-8").splitlines()]
    return {"status": status, "report": report, "records": records, "peak_rss_mib": peak / 1024}


def requests_of(report: dict[str, Any]) -> dict[str, int]:
    pages = report["pagesRequested"]
    kinds = ("listing", "feed", "sitemap", "robots", "article", "related")
    return {kind: pages[kind] for kind in kinds} | {"total": sum(pages[k] for k in kinds)}


def per_mode(mode: str, articles: int) -> dict[str, Any]:
    """A first crawl and an hourly run after 5 publishes and 3 edits, on a fresh site and state."""
    from newsspider.samplesite.generator import SampleSite
    from tests.conftest import SampleServerProcess

    with tempfile.TemporaryDirectory(prefix="newsspider-bench-discovery-") as name:
        tmp = Path(name)
        server = SampleServerProcess(tmp / "requests.log", articles=articles)
        try:
            site = SampleSite(seed=server.seed, articles=articles)
            starts = site.start_urls(server.base_url)
            settings = {"NEWSSPIDER_STATE_URI": f"sqlite:///{tmp / 'state.sqlite3'}"}
            recent = server.admin("publish", 2, day=DAY)
            first = scrapy_crawl(starts, [f"discover={mode}"], {**settings, "NEWSSPIDER_NOW": FIRST}, tmp)
            old = site.sitemap_articles()[0].article_id
            new = server.admin("publish", 5, day=DAY)
            edited = server.admin("edit", 3, ids=[*recent, old], at=EDITED)
            hourly = scrapy_crawl(starts, [f"discover={mode}"], {**settings, "NEWSSPIDER_NOW": HOURLY}, tmp)
        finally:
            server.stop()
    wanted = {*((a, 1) for a in new), *((a, 2) for a in edited)}
    got = {(r["articleId"], r["metadata"]["version"]) for r in hourly["records"]}
    return {
        "mode": mode,
        "public": len(site.public_ids) + 2,
        "first": {"records": len(first["records"]), "requests": requests_of(first["report"])},
        "hourly": {
            "records": len(hourly["records"]),
            "caught": len(wanted & got),
            "old_caught": (old, 2) in got,
            "extra": len(got - wanted),
            "requests": requests_of(hourly["report"]),
        },
        "status": (first["status"], hourly["status"]),
    }


# --- a synthetic archive: 200 sitemaps x 1,000 articles ---------------------------------------


class Archive(ThreadingHTTPServer):
    """Article pages are one sample page under every id; listings give 20 entries a page."""

    daemon_threads = True

    def __init__(self, sitemaps: int, per_sitemap: int):
        super().__init__(("127.0.0.1", 0), _ArchiveHandler)
        from newsspider.samplesite.generator import SampleSite

        sample = SampleSite(articles=40)
        article = next(a for a in sample.articles.values() if a.kind == "listed" and a.published_time)
        _, _, self.page = sample.render(article.path(), "http://127.0.0.1")
        self.page_bytes = self.page.encode("utf-8")
        self.sitemaps, self.per_sitemap = sitemaps, per_sitemap
        self.total = sitemaps * per_sitemap
        self.top = 3_000_000

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, n: int) -> str:
        """The n-th newest article."""
        article_id = self.top - n
        day = (date(2024, 6, 30) - timedelta(days=n // 300)).strftime("%Y%m%d")
        return f"{self.base}/bnews/worldnews/{day}/{article_id}.html"


class _ArchiveHandler(BaseHTTPRequestHandler):
    server: Archive
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        s = self.server
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            self._send("text/plain", f"User-agent: *\nSitemap: {s.base}/sitemap_index.xml\n".encode())
        elif path == "/sitemap_index.xml":
            items = "".join(
                f"<sitemap><loc>{s.base}/post-sitemap{n}.xml</loc><lastmod>2024-06-30T00:00:00+00:00</lastmod></sitemap>"
                for n in range(1, s.sitemaps + 1)
            )
            self._send(
                "application/xml", f'<?xml version="1.0"?><sitemapindex xmlns="x">{items}</sitemapindex>'.encode()
            )
        elif path.startswith("/post-sitemap"):
            n = int(path[len("/post-sitemap") : -len(".xml")])
            first = (n - 1) * s.per_sitemap
            items = "".join(
                f"<url><loc>{s.url(k)}</loc><lastmod>2024-06-30T00:00:00+00:00</lastmod></url>"
                for k in range(first, first + s.per_sitemap)
            )
            self._send("application/xml", f'<?xml version="1.0"?><urlset xmlns="x">{items}</urlset>'.encode())
        elif path.startswith("/bnews/worldnews/") and path.endswith("/"):
            page = int(path.rstrip("/").rsplit("/", 1)[1]) if "/page/" in path else 1
            first = (page - 1) * 20
            entries = "".join(
                f'<div class="postlist"><h4><a href="{s.url(k)}">t{k}</a></h4></div>'
                for k in range(first, min(first + 20, s.total))
            )
            next_page = (
                f'<link rel="next" href="{s.base}/bnews/worldnews/page/{page + 1}/" />' if first + 20 < s.total else ""
            )
            self._send(
                "text/html; charset=utf-8", f"<html><head>{next_page}</head><body>{entries}</body></html>".encode()
            )
        elif path.endswith(".html"):
            self._send("text/html; charset=utf-8", s.page_bytes)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _send(self, content_type: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def scale(sitemaps: int = 200, per_sitemap: int = 1000, stop_after: int = 3000) -> dict[str, Any]:
    """The same crawl, stopped after ``stop_after`` records, from sitemaps (bounded queue, and with
    the bound lifted: every entry queued as read) and from listings."""
    archive = Archive(sitemaps, per_sitemap)
    threading.Thread(target=archive.serve_forever, daemon=True).start()
    runs = {}
    try:
        for name, args, extra in (
            ("sitemaps", ["discover=sitemaps"], {}),
            ("sitemaps, bound lifted", ["discover=sitemaps"], {"NEWSSPIDER_SITEMAP_QUEUE": 10**9}),
            ("listings", ["discover=listings"], {}),
        ):
            with tempfile.TemporaryDirectory(prefix="newsspider-bench-sitemaps-") as tmp:
                settings = {
                    "NEWSSPIDER_STATE_URI": f"sqlite:///{Path(tmp) / 'state.sqlite3'}",
                    "CLOSESPIDER_ITEMCOUNT": stop_after,
                    "NEWSSPIDER_ALARM_MIN_PAGES": 10**9,  # one page under every id: not what the alarms are for
                    **extra,
                }
                started = time.monotonic()
                run = scrapy_crawl(
                    [f"{archive.base}/bnews/worldnews/"], [*args, "related_depth=0"], settings, Path(tmp)
                )
                report = run["report"]
                runs[name] = {
                    "records": len(run["records"]),
                    "seconds": time.monotonic() - started,
                    "peak_rss_mib": run["peak_rss_mib"],
                    "max_queued": report["queue"]["maxQueued"],
                    "requests": requests_of(report),
                    "finish": report["finishReason"],
                }
    finally:
        archive.shutdown()
    from newsspider import settings as defaults

    return {
        "sitemaps": sitemaps,
        "per_sitemap": per_sitemap,
        "stop_after": stop_after,
        "bound": defaults.NEWSSPIDER_SITEMAP_QUEUE,
        "runs": runs,
    }


def render(m: dict[str, str], modes: list[dict[str, Any]], big: dict[str, Any], command: str) -> tuple[str, str]:
    head = f"Measured {m['date']} on {m['cpu']}, commit {m['commit']}: `{command}`."
    lines = [
        SECTION_REQUESTS,
        "",
        head,
        "",
        f"The sample site ({modes[0]['public']} articles a crawl must emit, 4 post sitemaps of 100), started from its "
        "4 category listings and 1 tag archive, default settings (related depth 1). A first crawl on a fresh "
        "state, then an hourly run one hour later after 5 publishes and 3 edits (2 articles published that day, "
        "1 from 2024, edited half an hour before the run). Requests by kind, from the run reports; "
        "`of the 8`: new and edited articles emitted with the right version (`+N other`: further records, "
        "e.g. articles a feed-only first crawl never reached, found through the new articles' related lists).",
        "",
        "| discover | first crawl: records | requests (listing/feed/sitemap/robots/article/related) | per record "
        "| hourly: of the 8 | old edit | requests (listing/feed/sitemap/robots/article/related) | per record |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in modes:
        f, h = r["first"], r["hourly"]
        fr, hr = f["requests"], h["requests"]
        split = "/".join(str(fr[k]) for k in ("listing", "feed", "sitemap", "robots", "article", "related"))
        hsplit = "/".join(str(hr[k]) for k in ("listing", "feed", "sitemap", "robots", "article", "related"))
        lines.append(
            f"| `{r['mode']}` | {f['records']} | {fr['total']} ({split}) | {fr['total'] / max(f['records'], 1):.2f} "
            f"| {h['caught']} (+{h['extra']} other) | {'caught' if h['old_caught'] else 'missed'} "
            f"| {hr['total']} ({hsplit}) | {hr['total'] / max(h['records'], 1):.2f} |"
        )
    lines.append("")
    runs = big["runs"]
    scale_lines = [
        SECTION_SCALE,
        "",
        head,
        "",
        f"A synthetic archive on 127.0.0.1: a sitemap index of {big['sitemaps']} sitemaps x {big['per_sitemap']:,} "
        f"articles, and the same articles in listing pages of 20. Each crawl stopped after {big['stop_after']:,} "
        f"records (`CLOSESPIDER_ITEMCOUNT`), `-a related_depth=0`, the SQLite state on; the queue's bound is "
        f"`NEWSSPIDER_SITEMAP_QUEUE={big['bound']}`. Peak RSS of the crawl process (`VmHWM`); most requests "
        "queued: the scheduler's length when each request was scheduled (the report's `queue.maxQueued`).",
        "",
        "| crawl | records | seconds | peak RSS | most requests queued | sitemaps read | listing pages |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        scale_lines.append(
            f"| {name} | {r['records']} | {r['seconds']:.1f} | {r['peak_rss_mib']:.0f} MiB | {r['max_queued']:,} "
            f"| {r['requests']['sitemap']} | {r['requests']['listing']} |"
        )
    lazy = runs["sitemaps"]
    scale_lines += [
        "",
        f"- from sitemaps: peak RSS **{lazy['peak_rss_mib']:.0f} MiB** (target under 300 MiB: "
        f"{'met' if lazy['peak_rss_mib'] < 300 else 'missed'}); most requests queued **{lazy['max_queued']}** "
        f"(bound {big['bound']}: {'never exceeded' if lazy['max_queued'] <= big['bound'] else 'EXCEEDED'})",
        "",
    ]
    return "\n".join(lines), "\n".join(scale_lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=320)
    parser.add_argument("--sitemaps", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="print the sections, leave RESULTS.md alone")
    args = parser.parse_args(argv)
    from bench.run import machine

    m = machine()
    modes = [per_mode(mode, args.articles) for mode in MODES]
    big = scale(sitemaps=args.sitemaps)
    (Path(tempfile.gettempdir()) / "newsspider-bench-discovery.json").write_text(json.dumps([modes, big]))
    requests, lazy = render(m, modes, big, "python -m bench.discovery " + " ".join(argv or sys.argv[1:]))
    print(requests + "\n" + lazy)
    if not args.no_write:
        write_section(SECTION_REQUESTS, requests)
        write_section(SECTION_SCALE, lazy)
    ok = all(r["status"] == (0, 0) for r in modes) and big["runs"]["sitemaps"]["max_queued"] <= big["bound"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
