"""Gathering a spider's records into a snapshot: each article once, in its latest version."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Gathered:
    """Records read, and what was skipped on the way (torn lines, unreadable files)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)


def output_files(folder: Path) -> list[Path]:
    """A spider's run outputs: ``*.jsonl`` files, in name (run id: start time) order."""
    return sorted(p for p in folder.glob("*.jsonl") if p.is_file())


def read_jsonl(paths: Iterable[Path], gathered: Gathered) -> None:
    for path in paths:
        gathered.sources.append(str(path))
        with path.open("rb") as file:
            for line in file:
                if not line.endswith(b"\n"):
                    gathered.skipped["torn_last_line"] += 1  # a killed run's; the next run replayed it
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    gathered.skipped["unreadable_line"] += 1
                    continue
                if not isinstance(record, dict) or not isinstance(record.get("articleId"), str):
                    gathered.skipped["no_article_id"] += 1  # not a record of ours
                    continue
                gathered.records.append(record)


def read_records_table(uri: str, spider: str, gathered: Gathered) -> None:
    """Every record a PostgreSQL state committed (the complete dataset when workers shared it)."""
    from newsspider.redact import redacted
    from newsspider.state.postgres import PostgresStateStore

    store = PostgresStateStore(uri, retry_for=0)
    try:
        gathered.sources.append(f"{redacted(uri)} (records table)")
        gathered.records.extend(store.records(spider))
    finally:
        store.close()


def _version(record: dict[str, Any]) -> int:
    return (record.get("metadata") or {}).get("version") or 0


def snapshot(records: list[dict[str, Any]], all_versions: bool = False) -> list[dict[str, Any]]:
    """Each article in its latest version (highest ``metadata.version``, then latest download,
    then the last read), or every version once; ordered by article id (numeric), then version."""
    chosen: dict[tuple[str, int | None], tuple[tuple[Any, ...], dict[str, Any]]] = {}
    for order, record in enumerate(records):
        meta = record.get("metadata") or {}
        key = (record["articleId"], _version(record) if all_versions else None)
        rank = (_version(record), meta.get("dateDownloaded") or "", order)
        if key not in chosen or chosen[key][0] < rank:
            chosen[key] = (rank, record)
    rows = [record for _, record in chosen.values()]
    return sorted(rows, key=lambda r: (len(r["articleId"]), r["articleId"], _version(r)))


def matches(record: dict[str, Any], since: str | None, sections: list[str], languages: list[str]) -> bool:
    """``--since`` (publication date, YYYY-MM-DD), ``--section`` (a section or its subsections),
    ``--language`` (a BCP 47 tag or its prefix: ``zh`` is both scripts)."""
    if since and (record.get("datePublished") or "")[:10] < since:
        return False
    section = record.get("section") or ""
    if sections and not any(section == s or section.startswith(s + "/") for s in sections):
        return False
    language = record.get("inLanguage") or ""
    return not languages or any(language == lang or language.startswith(lang + "-") for lang in languages)
