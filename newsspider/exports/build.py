"""Building a snapshot in three streamed passes, in memory that does not grow with the records.

1. Every record of the finished sources is read once, checked (any minor version of the schema's
   major, see :mod:`.versions`) and noted in the on-disk :class:`~.index.ObservationIndex`.
2. The chosen records are read again by position, in snapshot order, and staged as rows; each is
   sketched for duplicate marking (:class:`~.duplicates.DuplicateIndex`).
3. The staged rows are written as the dataset's files with ``duplicateOf`` filled in.
"""

from __future__ import annotations

import json
import os
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from newsspider.exports import formats
from newsspider.exports.duplicates import DuplicateIndex
from newsspider.exports.index import ObservationIndex, Position, matches
from newsspider.exports.sources import LineReader, lines
from newsspider.exports.versions import Reader
from newsspider.meter import Meter, Phase

FETCH = 1000  # chosen records read back per round (one query for those in the records table)


@dataclass
class Plan:
    spiders: list[str]
    files: list[Path]
    table_uri: str | None  # a PostgreSQL state whose records table is read after the files, per spider
    skip_runs: dict[str, list[str]]  # per spider, its runs there that have not ended
    fmt: str
    all_versions: bool
    since: str | None
    sections: list[str]
    languages: list[str]
    duplicates: bool
    memory_mb: int


@dataclass
class Built:
    """What the snapshot holds, for the summary line and the card."""

    read: int = 0
    rows: int = 0
    articles: int = 0
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    sites: Counter[str] = field(default_factory=Counter)
    sections: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    months: Counter[str] = field(default_factory=Counter)
    files: list[Path] = field(default_factory=list)


def _checked(raw: bytes, reader: Reader, skipped: Counter[str]) -> dict[str, Any] | None:
    if not raw.endswith(b"\n"):
        skipped["torn_last_line"] += 1  # a killed run's; the next run replayed it
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        skipped["unreadable_line"] += 1
        return None
    return _valid(record, reader, skipped)


def _valid(record: Any, reader: Reader, skipped: Counter[str]) -> dict[str, Any] | None:
    if not isinstance(record, dict) or not isinstance(record.get("articleId"), str):
        skipped["no_article_id"] += 1  # not a record of ours
        return None
    problem = reader.problem(record)
    if problem is not None:
        skipped[problem] += 1  # a file that lied about its types would be worse than a gap
        return None
    return record


def _table(plan: Plan) -> Any:
    from newsspider.state.postgres import PostgresStateStore

    return PostgresStateStore(plan.table_uri, retry_for=0)


def observe(plan: Plan, index: ObservationIndex, reader: Reader, built: Built, phase: Phase) -> None:
    """Pass 1: every record of every source into the index."""
    for source, path in enumerate(plan.files):
        for offset, raw in lines(path):
            record = _checked(raw, reader, built.skipped)
            if record is not None:
                built.read += 1
                index.add(record, source, offset, matches(record, plan.since, plan.sections, plan.languages))
            phase.update(len(raw), f"{built.read:,} records")
    if plan.table_uri:
        store = _table(plan)
        try:
            for n, spider in enumerate(plan.spiders):
                for version, record in store.stream_records(spider, plan.skip_runs.get(spider, [])):
                    if _valid(record, reader, built.skipped) is not None:
                        built.read += 1
                        keep = matches(record, plan.since, plan.sections, plan.languages)
                        index.add(record, len(plan.files) + n, version, keep)
                    phase.update(0, f"{built.read:,} records")
        finally:
            store.close()


def chosen_records(plan: Plan, positions: Iterable[Position], reader: Reader) -> Iterator[dict[str, Any]]:
    """Pass 2's reading: the chosen records, in the index's order."""
    files = LineReader()
    store = _table(plan) if plan.table_uri else None
    positions = iter(positions)
    try:
        while chunk := list(islice(positions, FETCH)):
            table: dict[tuple[int, str, int], dict[str, Any]] = {}
            for n, spider in enumerate(plan.spiders):
                keys = [(p.article_id, p.offset) for p in chunk if p.source == len(plan.files) + n]
                if keys and store is not None:
                    found = store.records_at(spider, keys)
                    table.update(((len(plan.files) + n, a, v), record) for (a, v), record in found.items())
            for p in chunk:
                try:
                    if p.source < len(plan.files):
                        record = files.record(plan.files[p.source], p.offset)
                    else:
                        record = table.get((p.source, p.article_id, p.offset)) or {}
                except ValueError:
                    record = {}
                if record.get("articleId") != p.article_id or reader.upgrade(record) is None:
                    where = plan.files[p.source] if p.source < len(plan.files) else "the records table"
                    raise OSError(f"{where} changed while the export read it")  # a user edited it, or a disk lies
                yield record
    finally:
        files.close()
        if store is not None:
            store.close()


def build(plan: Plan, scratch: Path, target: Path, meter: Meter | None = None) -> Built:
    """The snapshot's files under ``target/data`` (``target`` being the building folder), each pass
    shown on ``meter``."""
    meter = meter or Meter("export", 0)
    built = Built()
    reader = Reader()
    index = ObservationIndex(scratch / "index.sqlite3", plan.memory_mb)
    staged = formats.StagedRows(scratch)
    # One process sketches texts while this one reads and writes rows, where there is a second core.
    processes = 1 if len(os.sched_getaffinity(0)) > 1 else 0
    sketches = DuplicateIndex(folder=scratch, processes=processes) if plan.duplicates else None
    try:
        with meter.phase("reading", sum(p.stat().st_size for p in plan.files), "B") as phase:
            observe(plan, index, reader, built, phase)
        with meter.phase("staging rows", unit="rows") as phase:
            starts = _stage(plan, index, reader, staged, sketches, built, phase)
        built.rows, built.articles = staged.count, len(starts)
        starts.append(staged.count)
        with meter.phase("marking duplicates", built.articles, "articles") as phase:
            marks = sketches.marks() if sketches is not None else {}
            phase.update(built.articles, f"{len(marks):,} duplicates")
        firsts = staged.articles({starts[first] for first in marks.values()})
        duplicate_of = {
            row: firsts[starts[first]] for copy, first in marks.items() for row in range(starts[copy], starts[copy + 1])
        }
        built.duplicates = len(duplicate_of)
        if built.rows:
            with meter.phase("writing", built.rows, "rows") as phase:
                built.files = staged.finish(target, plan.fmt, "train", duplicate_of, phase.update)
    finally:
        staged.close()
        index.close()
        if sketches is not None:
            sketches.close()
    return built


def _stage(
    plan: Plan,
    index: ObservationIndex,
    reader: Reader,
    staged: formats.StagedRows,
    sketches: DuplicateIndex | None,
    built: Built,
    phase: Phase,
) -> array:
    """Pass 2: the chosen records staged as rows and sketched; the first row of each article."""
    starts = array("q")  # the first row of each article (all versions: an article's rows are adjacent)
    latest: dict[str, Any] | None = None
    for record in chosen_records(plan, index.chosen(plan.all_versions), reader):
        if latest is None or (record.get("site"), record["articleId"]) != (latest.get("site"), latest["articleId"]):
            if latest is not None and sketches is not None:
                sketches.add(latest)  # an article is compared in its latest version
            starts.append(staged.count)
        latest = record
        staged.add(formats.row(record))
        built.sites[record.get("site") or ""] += 1
        built.sections[record.get("section") or ""] += 1
        built.languages[record.get("inLanguage") or ""] += 1
        built.months[(record.get("datePublished") or "")[:7]] += 1
        phase.update(1, f"{len(starts):,} articles")
    if latest is not None and sketches is not None:
        sketches.add(latest)
    staged.close()
    return starts
