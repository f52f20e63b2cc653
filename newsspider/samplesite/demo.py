"""Crawl the bundled sample site end to end, offline: the README's first command.

Starts the sample server on 127.0.0.1 as one of the sites it imitates (``--site``: bannedbook, the
default, or rfi), runs that site's real spider against it with the project's settings and
pipelines, writes ``output/demo/<spider>/<run id>.jsonl`` and checks what was written against the
records the generator expects. The demo's records are the sample
site's, not a real site's: they go to their own folder (where no crawl or default export reads),
and the demo keeps no crawl state.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from newsspider import config
from newsspider.cli import Parser, at_least
from newsspider.output import probe_folder
from newsspider.samplesite.generator import MIN_ARTICLES, TEMPLATES, SampleSite
from newsspider.samplesite.server import SampleServer
from newsspider.spiders.base import new_run_id

# Loopback needs no politeness delays, and each demo is a fresh site on a fresh port, so it keeps
# no crawl state; everything else is the project's own configuration.
LOOPBACK_SETTINGS = {
    "NEWSSPIDER_STATE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "LOG_LEVEL": "INFO",
}


def run_demo(output_dir: Path, seed: int, articles: int, site_name: str = "bannedbook") -> int:
    site = SampleSite(seed=seed, articles=articles, site=site_name)
    server = SampleServer(site)
    server.start_in_thread()
    run_id = new_run_id()
    feed = output_dir / site.spider / f"{run_id}.jsonl"
    feed.parent.mkdir(parents=True, exist_ok=True)  # the log goes there before the crawl makes it

    folder = output_dir / "%(name)s"
    settings = config.project_settings(
        {
            **LOOPBACK_SETTINGS,
            "NEWSSPIDER_DEFAULT_FEED": str(folder / "%(run_id)s.jsonl"),
            "NEWSSPIDER_REPORT_URI": str(folder / "%(run_id)s.report.json"),
            # The terminal gets the result; the crawl's whole log goes beside its output.
            "LOG_FILE": str(output_dir / site.spider / f"{run_id}.log"),
        }
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(site.spider)  # by name, as `scrapy crawl` finds it
    process.crawl(crawler, start_urls=",".join(site.start_urls(server.base_url)), run_id=run_id)
    process.start()
    server.shutdown()

    records = [json.loads(line) for line in feed.read_text("utf-8").splitlines()] if feed.exists() else []
    got = [r["articleId"] for r in records]
    expected = set(site.public_ids)
    missing = sorted(expected - set(got))
    unexpected = sorted(set(got) - expected)
    duplicates = len(got) - len(set(got))
    print(
        f"sample site: {server.base_url} ({len(expected)} articles)\n"
        f"records written: {len(records)} -> {feed}\n"
        f"missing: {len(missing)}  unexpected: {len(unexpected)}  duplicates: {duplicates}\n"
        f"pages fetched: {crawler.stats.get_value('response_received_count', 0)}\n"
        f"full log: {output_dir / site.spider / f'{run_id}.log'}"
    )
    return 0 if not missing and not unexpected and not duplicates else 1


def main(argv: list[str] | None = None) -> int:
    parser = Parser("demo", __doc__)
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("output") / "demo",
        help="folder for the records, report, archive and log, in <output>/<spider>/ (default: output/demo)",
    )
    parser.add_argument(
        "--site", default="bannedbook", choices=TEMPLATES, help="the site imitated (default: bannedbook)"
    )
    parser.add_argument("--seed", type=int, default=2024, help="the sample site's seed (default: 2024)")
    parser.add_argument(
        "--articles", type=at_least(MIN_ARTICLES), default=320, help="the sample site's articles (default: 320)"
    )
    args = parser.parse_args(argv)
    try:
        probe_folder(args.output / TEMPLATES[args.site].spider)
    except OSError as exc:
        parser.error(f"--output {args.output}: cannot be written ({exc.strerror or exc})")
    return run_demo(args.output, args.seed, args.articles, args.site)


if __name__ == "__main__":
    sys.exit(main())
