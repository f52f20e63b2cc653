"""Which record of each article a snapshot takes, decided on disk.

The first pass notes every observation of an article (where it is, when its page was fetched, its
content hash, whether it passes the filters) in a SQLite file beside the snapshot being built; SQLite
sorts and groups it in a page cache of bounded size (``NEWSSPIDER_EXPORT_MEMORY_MB``), spilling to disk,
so the memory an export needs does not grow with the archive.

An article is a (``site``, ``articleId``) pair.

- Latest (the default): per article, the newest observation: the latest ``metadata.dateDownloaded``,
  then the later source (runs in start order, the records table last), then the later line. A record
  without ``metadata.version`` (a run with the state off, a re-extraction) counts like any other.
- All versions: per article, each distinct ``contentHash`` once, as first observed, in that order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BATCH = 5000  # observations per insert


@dataclass(frozen=True)
class Position:
    """Where a chosen record is: a file and an offset, or the records table and a version."""

    source: int
    offset: int  # the line's offset in a file; the record's version in the records table
    article_id: str


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


class ObservationIndex:
    def __init__(self, path: Path, memory_mb: int):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")  # a scratch file: thrown away if the export fails
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA temp_store=FILE")
        self.db.execute(f"PRAGMA cache_size=-{max(1, memory_mb // 2) * 1024}")
        self.db.execute(
            "CREATE TABLE obs (site TEXT NOT NULL, article TEXT NOT NULL, id_len INTEGER NOT NULL,"
            " downloaded TEXT NOT NULL, source INTEGER NOT NULL, ordinal INTEGER NOT NULL, hash TEXT NOT NULL,"
            " offset INTEGER NOT NULL, keep INTEGER NOT NULL)"
        )
        self._pending: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, record: dict[str, Any], source: int, offset: int, keep: bool) -> None:
        metadata = record["metadata"]
        article = record["articleId"]
        self._pending.append(
            (
                record.get("site") or "",  # an older record of an unknown spider: one site of its own
                article,
                len(article),
                metadata["dateDownloaded"],
                source,
                self.count,
                metadata["contentHash"],
                offset,
                keep,
            )
        )
        self.count += 1
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        with self.db:
            self.db.executemany("INSERT INTO obs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._pending)
        self._pending.clear()

    def chosen(self, all_versions: bool) -> Iterator[Position]:
        """The snapshot's records in its order: by site, article id (numeric), then first observation."""
        self.flush()
        if all_versions:
            window = "PARTITION BY site, article, hash ORDER BY downloaded, source, ordinal"
            order = "site, id_len, article, downloaded, source, ordinal"
        else:
            window = "PARTITION BY site, article ORDER BY downloaded DESC, source DESC, ordinal DESC"
            order = "site, id_len, article"
        query = (
            f"SELECT source, offset, article FROM (SELECT *, ROW_NUMBER() OVER ({window}) AS n FROM obs)"
            f" WHERE n = 1 AND keep ORDER BY {order}"
        )
        for source, offset, article in self.db.execute(query):
            yield Position(source, offset, article)

    def close(self) -> None:
        self.db.close()
