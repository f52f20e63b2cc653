"""The embedded default store: one SQLite file, one run at a time."""

from __future__ import annotations

import fcntl
import functools
import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from newsspider.errors import StateBusy, StateError
from newsspider.state.base import ArticleState, RunHolder, RunRecord, StateChanges, StateStore

_T = TypeVar("_T")


def _named_errors(method: Callable[..., _T]) -> Callable[..., _T]:
    """SQLite's errors, reworded to name the state file."""

    @functools.wraps(method)
    def wrapper(self: SqliteStateStore, *args: Any, **kwargs: Any) -> _T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise StateError(
                    f"state {self.path}: the file is corrupt ({exc}); move it aside (e.g. mv {self.path}"
                    f" {self.path}.corrupt) and the next run starts a fresh state"
                ) from exc
            raise StateError(f"state {self.path}: {exc}") from exc

    return wrapper


class SqliteStateStore(StateStore):
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS articles (
        spider TEXT NOT NULL, article_id TEXT NOT NULL, canonical_url TEXT, content_hash TEXT,
        version INTEGER NOT NULL DEFAULT 0, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
        last_fetched TEXT, first_emitted TEXT, unexpanded INTEGER NOT NULL DEFAULT 0, kept_as TEXT,
        PRIMARY KEY (spider, article_id));
    CREATE TABLE IF NOT EXISTS frontier (
        spider TEXT NOT NULL, article_id TEXT NOT NULL, url TEXT NOT NULL, discovered TEXT NOT NULL,
        PRIMARY KEY (spider, article_id));
    CREATE TABLE IF NOT EXISTS runs (
        spider TEXT NOT NULL, run_id TEXT NOT NULL, started TEXT NOT NULL, ended TEXT,
        status TEXT NOT NULL, feeds TEXT NOT NULL, PRIMARY KEY (spider, run_id));
    CREATE TABLE IF NOT EXISTS sitemaps (
        spider TEXT NOT NULL, url TEXT NOT NULL, lastmod TEXT NOT NULL, PRIMARY KEY (spider, url));
    """

    def __init__(self, path: str | Path):
        self.path = Path(path).resolve()
        self._locks: dict[str, Any] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"state {self.path}: cannot create its folder ({exc.strerror})") from None
        self._open()

    @_named_errors
    def _open(self) -> None:
        self.db = sqlite3.connect(self.path, isolation_level=None)
        # WAL keeps a killed process from corrupting the file, and with NORMAL a commit survives a
        # process kill without an fsync. A power cut may lose the last commits, but never out of
        # order: the run then still reads as unfinished, and the next run replays its (fsync'd) output.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(self.SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
        if "unexpanded" not in columns:  # a state written before the column existed
            self.db.execute("ALTER TABLE articles ADD COLUMN unexpanded INTEGER NOT NULL DEFAULT 0")
        if "kept_as" not in columns:
            self.db.execute("ALTER TABLE articles ADD COLUMN kept_as TEXT")

    def lock(self, spider: str, holder: RunHolder) -> None:
        """An OS lock (``flock``) on ``<state>.<spider>.lock``: the kernel drops it when the
        process dies, so a killed run never blocks the next one."""
        path = self.path.with_name(f"{self.path.name}.{spider}.lock")
        try:
            file = path.open("a+")
        except OSError as exc:
            raise StateError(f"state {self.path}: cannot open its lock file {path.name} ({exc.strerror})") from None
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            try:
                other = RunHolder(**json.loads(file.read()))
                who = f"run {other.run_id} (pid {other.pid} on {other.host}, started {other.started})"
            except (ValueError, TypeError):
                who = "another run"
            file.close()
            raise StateBusy(
                f"the crawl state {self.path} is in use by {who}; wait for it to end, or give this run"
                " its own NEWSSPIDER_STATE_URI"
            ) from None
        file.seek(0)
        file.truncate()
        file.write(json.dumps(asdict(holder)))
        file.flush()
        self._locks[spider] = file

    def unlock(self, spider: str) -> None:
        file = self._locks.pop(spider, None)
        if file is not None:
            file.close()  # closing releases the flock

    @_named_errors
    def get(self, spider: str, article_ids: Iterable[str]) -> dict[str, ArticleState]:
        ids = list(dict.fromkeys(article_ids))
        found: dict[str, ArticleState] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.db.execute(
                "SELECT article_id, canonical_url, content_hash, version, first_seen, last_seen, last_fetched,"
                " first_emitted, unexpanded, kept_as"
                f" FROM articles WHERE spider = ? AND article_id IN ({','.join('?' * len(chunk))})",
                [spider, *chunk],
            )
            for row in rows:
                found[row[0]] = ArticleState(*row[:-2], unexpanded=bool(row[-2]), kept_as=row[-1])
        return found

    @_named_errors
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
            for article_id, (url, flag) in changes.unexpanded.items():
                self.db.execute(
                    "INSERT INTO articles (spider, article_id, canonical_url, first_seen, last_seen, unexpanded)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (spider, article_id) DO UPDATE SET"
                    " unexpanded = excluded.unexpanded",
                    (spider, article_id, url, now, now, int(flag)),
                )
            for article_id, url in changes.discovered.items():
                self.db.execute(
                    "INSERT OR IGNORE INTO frontier (spider, article_id, url, discovered) SELECT ?, ?, ?, ?"
                    " WHERE NOT EXISTS (SELECT 1 FROM articles WHERE spider = ? AND article_id = ? AND version > 0)",
                    (spider, article_id, url, now, spider, article_id),
                )
            # A link leaves the frontier when its article is emitted: a page fetched whose record
            # was then lost (a failed write, an invalid page) is tried again by the next run.
            for article_id, kept_as in sorted(changes.superseded.items()):
                self.db.execute(
                    "INSERT INTO articles (spider, article_id, first_seen, last_seen, kept_as) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (spider, article_id) DO UPDATE SET kept_as = excluded.kept_as",
                    (spider, article_id, now, now, kept_as),
                )
            gone = [*changes.emitted, *sorted(changes.superseded)]
            self.db.executemany("DELETE FROM frontier WHERE spider = ? AND article_id = ?", [(spider, a) for a in gone])

    @_named_errors
    def frontier(self, spider: str) -> dict[str, str]:
        rows = self.db.execute(
            "SELECT article_id, url FROM frontier WHERE spider = ? ORDER BY discovered, article_id", (spider,)
        )
        return dict(rows.fetchall())

    @_named_errors
    def sitemaps_read(self, spider: str) -> dict[str, str]:
        return dict(self.db.execute("SELECT url, lastmod FROM sitemaps WHERE spider = ?", (spider,)).fetchall())

    @_named_errors
    def note_sitemaps_read(self, spider: str, read: dict[str, str]) -> None:
        with self._transaction():
            self.db.executemany(
                "INSERT INTO sitemaps (spider, url, lastmod) VALUES (?, ?, ?)"
                " ON CONFLICT (spider, url) DO UPDATE SET lastmod = max(lastmod, excluded.lastmod)",
                [(spider, url, lastmod) for url, lastmod in sorted(read.items())],
            )

    @_named_errors
    def begin_run(self, spider: str, run_id: str, feeds: Iterable[str], now: str) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO runs (spider, run_id, started, status, feeds) VALUES (?, ?, ?, 'running', ?)",
                (spider, run_id, now, json.dumps(list(feeds))),
            )

    @_named_errors
    def set_run_feeds(self, spider: str, run_id: str, feeds: Iterable[str]) -> None:
        with self._transaction():
            self.db.execute(
                "UPDATE runs SET feeds = ? WHERE spider = ? AND run_id = ?", (json.dumps(list(feeds)), spider, run_id)
            )

    @_named_errors
    def end_run(self, spider: str, run_id: str, status: str, now: str) -> None:
        with self._transaction():
            self.db.execute(
                "UPDATE runs SET ended = ?, status = ? WHERE spider = ? AND run_id = ?", (now, status, spider, run_id)
            )

    @_named_errors
    def settled_before(self, spider: str) -> str | None:
        row = self.db.execute(
            "SELECT MAX(ended) FROM runs WHERE spider = ? AND status = 'finished'", (spider,)
        ).fetchone()
        return row[0] if row else None

    @_named_errors
    def unfinished_runs(self, spider: str) -> list[RunRecord]:
        rows = self.db.execute(
            "SELECT run_id, status, feeds FROM runs WHERE spider = ? AND status = 'running' ORDER BY run_id", (spider,)
        )
        return [RunRecord(run_id, status, tuple(json.loads(feeds))) for run_id, status, feeds in rows]

    def close(self) -> None:
        for spider in list(self._locks):
            self.unlock(spider)
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
