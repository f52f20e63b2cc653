"""Where an export's records come from: finished runs' JSON Lines files and the PostgreSQL
``records`` table, read one record at a time, and read again by position.

A file counts once the run (or tool) that wrote it has finished: its ``.report.json`` is beside it
(every crawl and ``reextract`` writes one when it ends, failed or not), or the crawl state records its
run as ended or replayed. A file whose run the state holds as running (going now, or killed and not
yet replayed by the next run) is left out, and so is a file with neither: its lines may still grow.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsspider.errors import BadInput


@dataclass(frozen=True)
class Unfinished:
    """A source left out of the snapshot, and why."""

    name: str
    reason: str


def output_files(folder: Path) -> list[Path]:
    """A spider's run outputs: ``*.jsonl`` files, in name (run id: start time) order."""
    return sorted(p for p in folder.glob("*.jsonl") if p.is_file())


def report_of(path: Path) -> Path:
    return path.with_name(path.name.rsplit(".", 1)[0] + ".report.json")


def sqlite_run_statuses(uri: str, spider: str) -> dict[Path, str]:
    """Output file -> the status of the run that wrote it (``running``, ``finished``, ``replayed``,
    ``failed``) in a SQLite crawl state, read without writing anything; empty when there is no state."""
    path = Path(uri[len("sqlite:///") :].replace("%(name)s", spider))
    if not path.is_file():
        return {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT status, feeds FROM runs WHERE spider = ? ORDER BY run_id", (spider,)).fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise BadInput(f"state {path}: cannot be read ({exc})") from None
    statuses: dict[Path, str] = {}
    for status, feeds in rows:
        for feed in json.loads(feeds):
            # A later run appending to the same file (-o) decides: "running" there wins over "finished".
            statuses[Path(feed).resolve()] = (
                status if status == "running" else statuses.get(Path(feed).resolve(), status)
            )
    return statuses


def finished_files(files: list[Path], statuses: dict[Path, str]) -> tuple[list[Path], list[Unfinished]]:
    """The files whose runs have finished, and those left out with the reason."""
    kept: list[Path] = []
    left: list[Unfinished] = []
    for path in files:
        status = statuses.get(path.resolve())
        if status == "running":
            left.append(Unfinished(str(path), "its run is still going, or was killed and not yet replayed"))
        elif report_of(path).is_file() or status is not None:
            kept.append(path)
        else:
            left.append(
                Unfinished(str(path), f"no {report_of(path).name} beside it: its run is still going or was killed")
            )
    # A re-extraction reads the same fetches a crawl did, later: at a tie in dateDownloaded it wins.
    return sorted(kept, key=lambda p: (_is_reextraction(p), p.name)), left


def _is_reextraction(path: Path) -> bool:
    try:
        return json.loads(report_of(path).read_text("utf-8")).get("tool") == "reextract"
    except (OSError, ValueError, AttributeError):
        return False


def is_postgres(uri: str) -> bool:
    return urlsplit(uri).scheme in ("postgresql", "postgres")


def lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` for each line of the file (the last may lack its newline: torn)."""
    offset = 0
    with path.open("rb") as file:
        for line in file:
            yield offset, line
            offset += len(line)


class LineReader:
    """Reads a record back from ``(file, offset)``; a few files stay open for runs read in turn."""

    KEEP_OPEN = 32

    def __init__(self) -> None:
        self._open: dict[Path, Any] = {}

    def record(self, path: Path, offset: int) -> dict[str, Any]:
        file = self._open.get(path)
        if file is None:
            if len(self._open) >= self.KEEP_OPEN:
                self._open.pop(next(iter(self._open))).close()
            file = self._open[path] = path.open("rb")
        file.seek(offset)
        return json.loads(file.readline())

    def close(self) -> None:
        for file in self._open.values():
            file.close()
        self._open.clear()
