"""``python -m newsspider demo|serve|cluster|reextract|export|extract``: the offline demo crawl, the sample-site
server, a local cluster, records rebuilt from the archive, a dataset snapshot, records from saved pages."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "demo": "newsspider.samplesite.demo",
    "serve": "newsspider.samplesite.server",
    "cluster": "newsspider.cluster.command",
    "reextract": "newsspider.archive.reextract",
    "export": "newsspider.exports.command",
    "extract": "newsspider.generic.command",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(
            "usage: python -m newsspider {demo|serve|cluster|reextract|export|extract} [options]"
            "  (--help after a command)",
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(COMMANDS[argv[0]])
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
