"""Persistent crawl state: which articles a spider holds, what it emitted, what is left to fetch.

The store sits behind :class:`StateStore` so that a Redis-backed store can stand in for SQLite
when crawls spread over several machines; :func:`open_store` picks one by URI scheme.
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ArticleState:
    """What the store knows of one article."""

    article_id: str
    canonical_url: str | None
    content_hash: str | None  # of the last emitted version
    version: int  # last emitted version, 0 when never emitted
    first_seen: str
    last_seen: str
    last_fetched: str | None
    first_emitted: str | None  # when a run first wrote it out


@dataclass(frozen=True)
class Emission:
    """One record that reached the output file."""

    article_id: str
    canonical_url: str
    content_hash: str
    version: int
    related_urls: tuple[str, ...] = ()  # known when replayed from a line, to refill the frontier


@dataclass
class StateChanges:
    """Everything a batch writes in one transaction."""

    emitted: dict[str, Emission]
    fetched: dict[str, tuple[str, str]]  # article id -> (url, when)
    discovered: dict[str, str]  # article id -> url, links to articles not held yet

    @classmethod
    def empty(cls) -> StateChanges:
        return cls(emitted={}, fetched={}, discovered={})

    def __bool__(self) -> bool:
        return bool(self.emitted or self.fetched or self.discovered)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    status: str
    feeds: tuple[str, ...]


class StateStore(ABC):
    """Per-spider crawl state. Implementations must make :meth:`apply` atomic."""

    @abstractmethod
    def get(self, spider: str, article_ids: Iterable[str]) -> dict[str, ArticleState]: ...

    @abstractmethod
    def apply(self, spider: str, changes: StateChanges, now: str) -> None:
        """Write emissions (only ever moving an article's version forward), fetch times and the
        frontier: discovered links are added unless held, fetched or emitted ids leave it."""

    @abstractmethod
    def frontier(self, spider: str) -> dict[str, str]:
        """Article id -> URL of links found but not fetched yet (e.g. by a killed run)."""

    @abstractmethod
    def begin_run(self, spider: str, run_id: str, feeds: Iterable[str], now: str) -> None: ...

    @abstractmethod
    def end_run(self, spider: str, run_id: str, status: str, now: str) -> None: ...

    @abstractmethod
    def settled_before(self, spider: str) -> str | None:
        """When the last run that finished normally ended: what was emitted before then is
        covered by a complete pagination; what a killed run emitted since is not."""

    @abstractmethod
    def unfinished_runs(self, spider: str) -> list[RunRecord]:
        """Runs that began and never ended: they were killed."""

    @abstractmethod
    def close(self) -> None: ...


class SqliteStateStore(StateStore):
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS articles (
        spider TEXT NOT NULL, article_id TEXT NOT NULL, canonical_url TEXT, content_hash TEXT,
        version INTEGER NOT NULL DEFAULT 0, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
        last_fetched TEXT, first_emitted TEXT, PRIMARY KEY (spider, article_id));
    CREATE TABLE IF NOT EXISTS frontier (
        spider TEXT NOT NULL, article_id TEXT NOT NULL, url TEXT NOT NULL, discovered TEXT NOT NULL,
        PRIMARY KEY (spider, article_id));
    CREATE TABLE IF NOT EXISTS runs (
        spider TEXT NOT NULL, run_id TEXT NOT NULL, started TEXT NOT NULL, ended TEXT,
        status TEXT NOT NULL, feeds TEXT NOT NULL, PRIMARY KEY (spider, run_id));
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        # WAL keeps a killed process from corrupting the file; NORMAL sync is crash-safe for a
        # process kill (not for power loss) and avoids an fsync per batch.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(self.SCHEMA)

    def get(self, spider: str, article_ids: Iterable[str]) -> dict[str, ArticleState]:
        ids = list(dict.fromkeys(article_ids))
        found: dict[str, ArticleState] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.db.execute(
                "SELECT article_id, canonical_url, content_hash, version, first_seen, last_seen, last_fetched,"
                " first_emitted"
                f" FROM articles WHERE spider = ? AND article_id IN ({','.join('?' * len(chunk))})",
                [spider, *chunk],
            )
            for row in rows:
                found[row[0]] = ArticleState(*row)
        return found

    def apply(self, spider: str, changes: StateChanges, now: str) -> None:
        if not changes:
            return
        with self._transaction():
            for e in changes.emitted.values():
                self.db.execute(
                    "INSERT INTO articles (spider, article_id, canonical_url, content_hash, version, first_seen,"
                    " last_seen, first_emitted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (spider, article_id) DO UPDATE SET canonical_url = excluded.canonical_url,"
                    " content_hash = excluded.content_hash, version = excluded.version,"
                    " last_seen = excluded.last_seen,"
                    " first_emitted = COALESCE(articles.first_emitted, excluded.first_emitted)"
                    " WHERE excluded.version >= articles.version",
                    (spider, e.article_id, e.canonical_url, e.content_hash, e.version, now, now, now),
                )
            for article_id, (url, when) in changes.fetched.items():
                self.db.execute(
                    "INSERT INTO articles (spider, article_id, canonical_url, first_seen, last_seen, last_fetched)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (spider, article_id) DO UPDATE SET"
                    " last_seen = excluded.last_seen, last_fetched = excluded.last_fetched",
                    (spider, article_id, url, when, when, when),
                )
            for article_id, url in changes.discovered.items():
                self.db.execute(
                    "INSERT OR IGNORE INTO frontier (spider, article_id, url, discovered) SELECT ?, ?, ?, ?"
                    " WHERE NOT EXISTS (SELECT 1 FROM articles WHERE spider = ? AND article_id = ? AND version > 0)",
                    (spider, article_id, url, now, spider, article_id),
                )
            done = set(changes.emitted) | set(changes.fetched)
            self.db.executemany("DELETE FROM frontier WHERE spider = ? AND article_id = ?", [(spider, a) for a in done])

    def frontier(self, spider: str) -> dict[str, str]:
        rows = self.db.execute(
            "SELECT article_id, url FROM frontier WHERE spider = ? ORDER BY discovered, article_id", (spider,)
        )
        return dict(rows.fetchall())

    def begin_run(self, spider: str, run_id: str, feeds: Iterable[str], now: str) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO runs (spider, run_id, started, status, feeds) VALUES (?, ?, ?, 'running', ?)",
                (spider, run_id, now, json.dumps(list(feeds))),
            )

    def end_run(self, spider: str, run_id: str, status: str, now: str) -> None:
        with self._transaction():
            self.db.execute(
                "UPDATE runs SET ended = ?, status = ? WHERE spider = ? AND run_id = ?", (now, status, spider, run_id)
            )

    def settled_before(self, spider: str) -> str | None:
        row = self.db.execute(
            "SELECT MAX(ended) FROM runs WHERE spider = ? AND status = 'finished'", (spider,)
        ).fetchone()
        return row[0] if row else None

    def unfinished_runs(self, spider: str) -> list[RunRecord]:
        rows = self.db.execute(
            "SELECT run_id, status, feeds FROM runs WHERE spider = ? AND status = 'running' ORDER BY run_id", (spider,)
        )
        return [RunRecord(run_id, status, tuple(json.loads(feeds))) for run_id, status, feeds in rows]

    def close(self) -> None:
        self.db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def open_store(uri: str, **params: str) -> StateStore:
    """``sqlite:///relative/path.sqlite3`` or ``sqlite:////absolute/path.sqlite3`` (SQLAlchemy's
    form); ``%(name)s``-style placeholders are filled from ``params``."""
    uri = uri % params if params else uri
    scheme = urlsplit(uri).scheme
    if scheme == "sqlite":
        path = uri[len("sqlite:///") :] if uri.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"NEWSSPIDER_STATE_URI: expected sqlite:///PATH, got {uri!r}")
        return SqliteStateStore(path)
    raise ValueError(f"NEWSSPIDER_STATE_URI: no state store for scheme {scheme!r} ({uri!r}); supported: sqlite")
