"""``python -m newsspider export``: one dataset snapshot of a spider's records."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import sys
from datetime import date
from pathlib import Path

from newsspider import config
from newsspider.errors import BadInput, StateError, Unreachable
from newsspider.exports import card, duplicates, formats
from newsspider.exports.records import Gathered, matches, output_files, read_jsonl, read_records_table, snapshot
from newsspider.pipelines import record_problem, schema_validator


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


MARKER = ".newsspider-export"  # in a folder an export wrote: the next export may replace its files
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


def _check_target(target: Path) -> None:
    """An export replaces only what an export wrote: a folder that holds anything else is refused."""
    if target.exists() and not target.is_dir():
        raise BadInput(f"-o {target}: not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise BadInput(f"-o {target}: the folder holds files an export did not write; give an empty or new folder")


def _state_uri(given: str | None) -> str | None:
    """The PostgreSQL state whose records table to read: the one given, else the project's when it
    is PostgreSQL; ``none`` for none."""
    if given is not None:
        if given.lower() == "none":
            return None
        if not given.startswith(("postgresql://", "postgres://")):
            raise BadInput(
                f"--state {given!r}: expected a postgresql:// URI (the only state that keeps records), or none"
            )
        return given
    uri = config.project_settings().get("NEWSSPIDER_STATE_URI") or ""
    return uri if uri.startswith(("postgresql://", "postgres://")) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsspider export", description=__doc__.splitlines()[0])
    parser.add_argument("--spider", default="bannedbook")
    parser.add_argument("--input", type=Path, help="the run outputs' folder (default: output/<spider>)")
    parser.add_argument(
        "--state",
        help="a postgresql:// state whose records table to read too (default: the "
        "project's NEWSSPIDER_STATE_URI when it is PostgreSQL; 'none' for none)",
    )
    parser.add_argument("--format", choices=("parquet", "jsonl"), default="parquet")
    parser.add_argument("-o", "--output", type=Path, help="the dataset folder (default: output/<spider>-dataset)")
    parser.add_argument("--all-versions", action="store_true", help="every emitted version, not only the latest")
    parser.add_argument("--since", type=_day, help="articles published on or after YYYY-MM-DD")
    parser.add_argument(
        "--section", action="append", default=[], type=_section, help="a section (with its subsections); repeatable"
    )
    parser.add_argument(
        "--language", action="append", default=[], type=_language, help="zh-CN, zh-TW, or zh for both; repeatable"
    )
    parser.add_argument("--no-duplicates", action="store_true", help="skip the near-duplicate marking")
    args = parser.parse_args(argv)
    folder = args.input or Path("output") / args.spider
    target = args.output or Path("output") / f"{args.spider}-dataset"
    gathered = Gathered()
    try:
        files = output_files(folder) if folder.is_dir() else []
        if args.input is not None and not folder.is_dir():
            raise BadInput(f"--input {folder}: no such folder")
        _check_target(target)
        read_jsonl(files, gathered)
        uri = _state_uri(args.state)
        if uri:
            read_records_table(uri, args.spider, gathered)
    except (BadInput, Unreachable) as exc:
        print(f"newsspider export: error: {exc}", file=sys.stderr)
        return exc.exit_status if isinstance(exc, Unreachable) else 2
    except StateError as exc:
        print(f"newsspider export: error: {exc}", file=sys.stderr)
        return 2
    # Records that break the schema (edited by hand, from an older schema) would give a file that
    # lies about its types: they are skipped and counted.
    validator = schema_validator()
    valid = []
    for record in gathered.records:
        problem = record_problem(record, validator)
        if problem is None:
            valid.append(record)
        else:
            gathered.skipped[f"invalid_record/{problem}"] += 1
    gathered.records = valid
    if not gathered.records:
        print(
            f"newsspider export: nothing to export: no record in {', '.join(gathered.sources) or folder}",
            file=sys.stderr,
        )
        return 1
    rows = [
        r
        for r in snapshot(gathered.records, all_versions=args.all_versions)
        if matches(r, args.since, args.section, args.language)
    ]
    if not rows:
        print(
            f"newsspider export: nothing to export: none of {len(gathered.records)} records matches the filters",
            file=sys.stderr,
        )
        return 1
    latest = {r["articleId"]: r for r in rows}  # rows are sorted by version: the last is the latest
    marks = {} if args.no_duplicates else duplicates.mark_duplicates(latest.values())
    out_rows = [formats.row(r, marks.get(r["articleId"])) for r in rows]
    if (target / "data").exists():
        shutil.rmtree(target / "data")  # an earlier export's: no stale shard of it may stay
    target.mkdir(parents=True, exist_ok=True)
    (target / MARKER).write_text("A dataset folder written by python -m newsspider export.\n", "utf-8")
    write = formats.write_parquet if args.format == "parquet" else formats.write_jsonl
    written = write(out_rows, target, "train")
    command = "python -m newsspider export " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    (target / "README.md").write_text(
        card.render(
            out_rows,
            spider=args.spider,
            fmt=args.format,
            files=[str(p.relative_to(target)) for p in written],
            sources=gathered.sources,
            command=command.strip(),
            all_versions=args.all_versions,
            filters={"since": args.since, "section": ",".join(args.section), "language": ",".join(args.language)},
            duplicates=sum(1 for r in out_rows if r["duplicateOf"]),
            skipped=dict(gathered.skipped),
        ),
        "utf-8",
    )
    print(
        f"export: {len(gathered.records)} records read from {len(gathered.sources)} source(s); {len(out_rows)} rows "
        f"({len(latest)} articles, {sum(1 for r in out_rows if r['duplicateOf'])} marked as duplicates) -> "
        f"{target} ({args.format})"
        + (
            f"; skipped: {', '.join(f'{k} {v}' for k, v in sorted(gathered.skipped.items()))}"
            if gathered.skipped
            else ""
        ),
        file=sys.stderr,
    )
    return 0
