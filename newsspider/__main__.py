"""``python -m newsspider demo|serve|cluster|reextract|export|extract``: the offline demo crawl, the sample-site
server, a local cluster, records rebuilt from the archive, a dataset snapshot, records from saved pages."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "demo": ("newsspider.samplesite.demo", "crawl the bundled sample site offline and check every record"),
    "serve": ("newsspider.samplesite.server", "serve the sample site (bannedbook or rfi) on 127.0.0.1"),
    "cluster": ("newsspider.cluster.command", "try a crawl with several workers on one machine"),
    "reextract": ("newsspider.archive.reextract", "rebuild records from the WARC archive, offline"),
    "export": ("newsspider.exports.command", "build a dataset snapshot (Parquet or JSON Lines) from the runs"),
    "extract": ("newsspider.generic.command", "records from saved pages (.html, .html.gz, WARC)"),
    "runs": ("newsspider.history", "the history of a spider's runs, from their reports"),
}
USAGE = "usage: python -m newsspider {" + "|".join(COMMANDS) + "} [options]  (--help after a command)"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["--help"], ["-h"], ["help"]):
        print(USAGE + "\n\ncommands:")
        for name, (_, summary) in COMMANDS.items():
            print(f"  {name:<10} {summary}")
        print("\nCrawls are Scrapy's own: scrapy crawl bannedbook | rfi | news (see the README).")
        return 0
    if not argv or argv[0] not in COMMANDS:
        what = f"unknown command {argv[0]!r}" if argv else "no command given"
        known = ", ".join(COMMANDS)
        print(f"newsspider: error: {what}; commands: {known} (--help says what each does)", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
