"""``python -m newsspider export``: one dataset snapshot of a spider's records."""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from datetime import date
from pathlib import Path

from newsspider import config, sites
from newsspider.cli import Parser
from newsspider.errors import BadInput, StateError, Unreachable
from newsspider.exports import card, sources, target
from newsspider.exports.build import Plan, build
from newsspider.meter import Meter


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$")  # the schema's BCP 47 shape
SECTION_RE = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)?$")


def _language(text: str) -> str:
    if not LANGUAGE_RE.match(text):
        raise argparse.ArgumentTypeError(f"expected a language tag such as zh, zh-CN or zh-TW, got {text!r}")
    return text


def _section(text: str) -> str:
    if not SECTION_RE.match(text):
        raise argparse.ArgumentTypeError(f"expected a section such as worldnews or renquan/minyun, got {text!r}")
    return text


def _state_uri(given: str | None, spider: str, overrides: dict[str, str]) -> str | None:
    """The crawl state that says which runs have finished (and, for PostgreSQL, holds the records
    table): the one given, else the project's; ``none`` for none."""
    if given is not None:
        if given.lower() == "none":
            return None
        if not (given.startswith("sqlite:///") or sources.is_postgres(given)):
            raise BadInput(f"--state {given!r}: expected a sqlite:/// or postgresql:// URI, or none")
        return given
    uri = config.project_settings(overrides).get("NEWSSPIDER_STATE_URI") or ""
    return config.fill("NEWSSPIDER_STATE_URI", uri, {"name": spider}) if uri else None


def _spiders(given: list[str]) -> list[str]:
    """The spiders named (``all``: every site's), in the order given, each once."""
    names = [name for item in given for name in (sites.names() if item == "all" else [item])]
    return list(dict.fromkeys(names)) or ["bannedbook"]


def _plan(args: argparse.Namespace) -> tuple[Plan, list[str], list[sources.Unfinished]]:
    """What to read (finished runs only), or bad input."""
    overrides = config.command_line_settings(args.set)
    settings = config.project_settings(overrides)
    spiders = _spiders(args.spider)
    if args.input is not None and len(spiders) > 1:
        raise BadInput("--input reads one spider's folder; with several --spider, each reads output/<spider>")
    if args.input is not None and not args.input.is_dir():
        raise BadInput(f"--input {args.input}: no such folder")
    files: list[Path] = []
    left_out: list[sources.Unfinished] = []
    tables: list[str] = []
    skip_runs: dict[str, list[str]] = {}
    for spider in spiders:
        folder = args.input or Path("output") / spider
        if not folder.is_dir() and spider not in sites.spider_names():
            # Another spider of the project may have its outputs there; a typo has none.
            raise BadInput(
                f"--spider {spider}: no such spider ({', '.join(sites.spider_names())}) and no folder {folder}"
            )
        uri = _state_uri(args.state, spider, overrides)
        table = uri if uri and sources.is_postgres(uri) else None
        statuses = sources.sqlite_run_statuses(uri, spider) if uri and not table else {}
        kept, left = sources.finished_files(sources.output_files(folder) if folder.is_dir() else [], statuses)
        files += kept
        left_out += left
        if table:
            from newsspider.state.postgres import PostgresStateStore

            store = PostgresStateStore(table, retry_for=0)
            try:
                skip_runs[spider] = store.running_runs(spider)
            finally:
                store.close()
            tables.append(table)
            left_out += [
                sources.Unfinished(f"run {r} of {spider} (records table)", "still going, or ended unfinished")
                for r in skip_runs[spider]
            ]
    names = [str(p) for p in files]
    if tables:
        from newsspider.redact import redacted

        names.append(f"{redacted(tables[0])} (records table)")
    plan = Plan(
        spiders=spiders,
        files=files,
        table_uri=tables[0] if tables else None,
        skip_runs=skip_runs,
        fmt=args.format,
        all_versions=args.all_versions,
        since=args.since,
        sections=args.section,
        languages=args.language,
        duplicates=not args.no_duplicates,
        memory_mb=config.setting(settings, "NEWSSPIDER_EXPORT_MEMORY_MB"),
    )
    return plan, names, left_out


def _fail(message: str, status: int) -> int:
    print(f"newsspider export: error: {message}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = Parser("export", __doc__)
    parser.add_argument(
        "--spider",
        action="append",
        default=[],
        help="whose records (default bannedbook); repeatable, or 'all': one snapshot keyed by (site, articleId)",
    )
    parser.add_argument("--input", type=Path, help="the run outputs' folder (default: output/<spider>)")
    parser.add_argument(
        "--state",
        help="the crawl state that tells finished runs (a PostgreSQL one's records table is read too); "
        "default: the project's NEWSSPIDER_STATE_URI; 'none' for none",
    )
    parser.add_argument("--format", choices=("parquet", "jsonl"), default="parquet")
    parser.add_argument("-o", "--output", type=Path, help="the dataset folder (default: output/<spider>-dataset)")
    parser.add_argument("--all-versions", action="store_true", help="each distinct version once, not only the latest")
    parser.add_argument("--since", type=_day, help="articles published on or after YYYY-MM-DD")
    parser.add_argument(
        "--section", action="append", default=[], type=_section, help="a section (with its subsections); repeatable"
    )
    parser.add_argument(
        "--language", action="append", default=[], type=_language, help="zh-CN, zh-TW, or zh for both; repeatable"
    )
    parser.add_argument("--no-duplicates", action="store_true", help="skip the near-duplicate marking")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="a setting, as -s")
    args = parser.parse_args(argv)
    destination = args.output or Path("output") / f"{'+'.join(_spiders(args.spider))}-dataset"
    try:
        plan, names, left_out = _plan(args)
        settings = config.project_settings(config.command_line_settings(args.set))
        meter = Meter("export", config.setting(settings, "NEWSSPIDER_PROGRESS_INTERVAL"))
        target.check(destination)
    except (BadInput, Unreachable) as exc:
        return _fail(str(exc), exc.exit_status)
    except StateError as exc:
        return _fail(str(exc), 2)
    for unfinished in left_out:
        print(f"newsspider export: left out {unfinished.name}: {unfinished.reason}", file=sys.stderr)
    try:
        building = target.start(destination)
    except OSError as exc:
        return _fail(f"-o {destination}: cannot build the snapshot beside it ({exc.strerror or exc})", 2)
    try:
        built = build(plan, building / target.SCRATCH, building, meter)
        if built.rows:
            command = "python -m newsspider export " + " ".join(
                shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
            )
            (building / "README.md").write_text(
                card.render(
                    built,
                    spiders=plan.spiders,
                    fmt=args.format,
                    files=[str(p.relative_to(building)) for p in built.files],
                    sources=names,
                    left_out=left_out,
                    command=command.strip(),
                    all_versions=args.all_versions,
                    filters={
                        "since": args.since,
                        "section": ",".join(args.section),
                        "language": ",".join(args.language),
                    },
                ),
                "utf-8",
            )
            target.commit(building, destination)
    except (OSError, StateError, Unreachable) as exc:
        target.abandon(building)
        reason = f"{exc.strerror} ({exc.filename})" if isinstance(exc, OSError) and exc.strerror else str(exc)
        return _fail(f"the snapshot could not be written: {reason}; {destination} is as it was", 3)
    except BaseException:
        target.abandon(building)
        raise
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(built.skipped.items()))
    if not built.rows:
        target.abandon(building)
        what = (
            f"none of {built.read} records matches the filters"
            if built.read
            else f"no record in {', '.join(names) or args.input or 'output/' + ', output/'.join(plan.spiders)}"
        )
        return _fail(f"nothing to export: {what}" + (f"; skipped: {skipped}" if skipped else ""), 1)
    print(
        f"export: {built.read} records read from {len(names)} source(s); {built.rows} rows ({built.articles} articles, "
        f"{built.duplicates} marked as duplicates) -> {destination} ({args.format})"
        + (f"; skipped: {skipped}" if skipped else "")
        + (f"; left out {len(left_out)} unfinished source(s)" if left_out else ""),
        file=sys.stderr,
    )
    return 0
