"""The store workers share: PostgreSQL.

Any number of runs and workers may use it at once. A version bump is atomic across them: the
``records`` table's key (spider, article, version) lets one worker commit a given version, and a
record is committed there, with its version, before a worker writes it to its output, so a worker
whose machine vanishes with its disk loses no record. Migrations are numbered and applied when a
store opens, under an advisory lock so that workers starting together apply each one once. A lost
connection (a server restart) is retried for ``retry_for`` seconds, then fails as a StateError.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import psycopg
from psycopg.types.json import Jsonb

from newsspider.errors import StateError, Unreachable
from newsspider.redact import redacted
from newsspider.state.base import ArticleState, Emission, RunHolder, RunRecord, StateChanges, StateStore

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# Append only: a migration that shipped is never edited (README: "State schema").
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE articles (
        spider text NOT NULL, article_id text NOT NULL, canonical_url text, content_hash text,
        version integer NOT NULL DEFAULT 0, first_seen text NOT NULL, last_seen text NOT NULL,
        last_fetched text, first_emitted text, unexpanded boolean NOT NULL DEFAULT false,
        PRIMARY KEY (spider, article_id));
    CREATE TABLE frontier (
        spider text NOT NULL, article_id text NOT NULL, url text NOT NULL, discovered text NOT NULL,
        PRIMARY KEY (spider, article_id));
    CREATE TABLE runs (
        spider text NOT NULL, run_id text NOT NULL, started text NOT NULL, ended text,
        status text NOT NULL, PRIMARY KEY (spider, run_id));
    CREATE TABLE run_workers (
        spider text NOT NULL, run_id text NOT NULL, worker text NOT NULL, host text NOT NULL,
        pid integer NOT NULL, started text NOT NULL, ended text, status text NOT NULL,
        feeds jsonb NOT NULL DEFAULT '[]', PRIMARY KEY (spider, run_id, worker));
    CREATE TABLE records (
        spider text NOT NULL, article_id text NOT NULL, version integer NOT NULL,
        run_id text NOT NULL, worker text NOT NULL, committed timestamptz NOT NULL DEFAULT now(),
        record jsonb NOT NULL, PRIMARY KEY (spider, article_id, version));
    CREATE INDEX records_by_run ON records (spider, run_id);
    """,
    """
    CREATE TABLE sitemaps (
        spider text NOT NULL, url text NOT NULL, lastmod text NOT NULL, PRIMARY KEY (spider, url));
    """,
    "ALTER TABLE articles ADD COLUMN kept_as text;",
)
_MIGRATION_LOCK = 0x6E657773  # pg_advisory_xact_lock key: "news"


class PostgresStateStore(StateStore):
    keeps_records = True

    def __init__(self, uri: str, retry_for: float = 60.0):
        self.uri = uri
        self.name = redacted(uri)
        self.retry_for = retry_for
        self.worker = ""
        self.db: psycopg.Connection | None = None
        # Unreachable at start is an immediate, loud failure; retrying is for a server lost mid-run.
        self._call(self._migrate, opening=True)

    # --- connection ---------------------------------------------------------------------------

    def _call(self, work: Callable[[psycopg.Connection], _T], opening: bool = False) -> _T:
        """Run ``work`` in one transaction, reconnecting and retrying while the server is away."""
        retry_for = self.retry_for
        deadline = time.monotonic() + retry_for
        pause = 0.2
        while True:
            try:
                if self.db is None or self.db.closed:
                    self.db = psycopg.connect(self.uri, autocommit=True, connect_timeout=5)
                with self.db.transaction():
                    return work(self.db)
            except psycopg.OperationalError as exc:
                self._disconnect()
                left = deadline - time.monotonic()
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                if opening:
                    raise Unreachable(f"state {self.name} cannot be reached: {reason}") from None
                if left <= 0:
                    waited = f" (retried for {retry_for:g} s)" if retry_for else ""
                    raise StateError(f"state {self.name}: {reason}{waited}") from None
                logger.warning("State %s unreachable (%s); retrying for %.0f s more", self.name, reason, left)
                time.sleep(min(pause, left))
                pause = min(pause * 2, 2.0)
            except psycopg.Error as exc:
                raise StateError(f"state {self.name}: {exc}") from None

    def _disconnect(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except psycopg.Error:
                pass
        self.db = None

    def _migrate(self, db: psycopg.Connection) -> None:
        db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied text NOT NULL)")
        done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
        for number, sql in enumerate(MIGRATIONS, start=1):
            if number not in done:
                db.execute(sql)
                db.execute("INSERT INTO schema_migrations VALUES (%s, now()::text)", (number,))
                logger.info("State %s: applied migration %d", self.name, number)

    def schema_version(self) -> int:
        return self._call(lambda db: db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0])

    # --- StateStore ---------------------------------------------------------------------------

    def lock(self, spider: str, holder: RunHolder) -> None:
        """Shared: every worker of a run (and any other run) may use the state at once."""
        self.worker = f"{holder.host}:{holder.pid}"
        self._holder = holder

    def unlock(self, spider: str) -> None:
        pass

    def get(self, spider: str, article_ids: Iterable[str]) -> dict[str, ArticleState]:
        ids = list(dict.fromkeys(article_ids))

        def work(db: psycopg.Connection) -> dict[str, ArticleState]:
            rows = db.execute(
                "SELECT article_id, canonical_url, content_hash, version, first_seen, last_seen, last_fetched,"
                " first_emitted, unexpanded, kept_as FROM articles WHERE spider = %s AND article_id = ANY(%s)",
                (spider, ids),
            )
            return {row[0]: ArticleState(*row) for row in rows}

        return self._call(work) if ids else {}

    def apply(self, spider: str, changes: StateChanges, now: str) -> None:
        if not changes:
            return

        def work(db: psycopg.Connection) -> None:
            for e in changes.emitted.values():
                self._emit(db, spider, e, now)
            for article_id, (url, when) in changes.fetched.items():
                db.execute(
                    "INSERT INTO articles (spider, article_id, canonical_url, first_seen, last_seen, last_fetched)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (spider, article_id) DO UPDATE SET"
                    " last_seen = excluded.last_seen, last_fetched = excluded.last_fetched",
                    (spider, article_id, url, when, when, when),
                )
            for article_id, (url, flag) in changes.unexpanded.items():
                db.execute(
                    "INSERT INTO articles (spider, article_id, canonical_url, first_seen, last_seen, unexpanded)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (spider, article_id) DO UPDATE SET"
                    " unexpanded = excluded.unexpanded",
                    (spider, article_id, url, now, now, flag),
                )
            for article_id, url in changes.discovered.items():
                db.execute(
                    "INSERT INTO frontier (spider, article_id, url, discovered) SELECT %s, %s, %s, %s WHERE NOT EXISTS"
                    " (SELECT 1 FROM articles WHERE spider = %s AND article_id = %s AND version > 0)"
                    " ON CONFLICT DO NOTHING",
                    (spider, article_id, url, now, spider, article_id),
                )
            for article_id, kept_as in sorted(changes.superseded.items()):
                db.execute(
                    "INSERT INTO articles (spider, article_id, first_seen, last_seen, kept_as)"
                    " VALUES (%s, %s, %s, %s, %s)"
                    " ON CONFLICT (spider, article_id) DO UPDATE SET kept_as = excluded.kept_as",
                    (spider, article_id, now, now, kept_as),
                )
                db.execute("DELETE FROM frontier WHERE spider = %s AND article_id = %s", (spider, article_id))

        self._call(work)

    @staticmethod
    def _emit(db: psycopg.Connection, spider: str, e: Emission, now: str) -> None:
        db.execute(
            "INSERT INTO articles (spider, article_id, canonical_url, content_hash, version, first_seen, last_seen,"
            " first_emitted) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (spider, article_id) DO UPDATE SET"
            " canonical_url = excluded.canonical_url, content_hash = excluded.content_hash,"
            " version = excluded.version, last_seen = excluded.last_seen,"
            " first_emitted = COALESCE(articles.first_emitted, excluded.first_emitted)"
            " WHERE excluded.version >= articles.version",
            (spider, e.article_id, e.canonical_url, e.content_hash, e.version, now, now, now),
        )
        # A link leaves the frontier when its article is emitted (as in the SQLite store).
        db.execute("DELETE FROM frontier WHERE spider = %s AND article_id = %s", (spider, e.article_id))

    def commit_record(self, spider: str, emission: Emission, record: dict[str, Any], run_id: str, now: str) -> bool:
        def work(db: psycopg.Connection) -> bool:
            inserted = db.execute(
                "INSERT INTO records (spider, article_id, version, run_id, worker, record)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                (spider, emission.article_id, emission.version, run_id, self.worker, Jsonb(record)),
            ).fetchone()
            if inserted is None:
                # Ours when an earlier attempt committed and only its answer was lost.
                owner = db.execute(
                    "SELECT run_id, worker FROM records WHERE spider = %s AND article_id = %s AND version = %s",
                    (spider, emission.article_id, emission.version),
                ).fetchone()
                return owner == (run_id, self.worker)
            self._emit(db, spider, emission, now)
            return True

        return self._call(work)

    def frontier(self, spider: str) -> dict[str, str]:
        rows = self._call(
            lambda db: db.execute(
                "SELECT article_id, url FROM frontier WHERE spider = %s ORDER BY discovered, article_id", (spider,)
            ).fetchall()
        )
        return dict(rows)

    def sitemaps_read(self, spider: str) -> dict[str, str]:
        rows = self._call(
            lambda db: db.execute("SELECT url, lastmod FROM sitemaps WHERE spider = %s", (spider,)).fetchall()
        )
        return dict(rows)

    def note_sitemaps_read(self, spider: str, read: dict[str, str]) -> None:
        def work(db: psycopg.Connection) -> None:
            with db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO sitemaps (spider, url, lastmod) VALUES (%s, %s, %s)"
                    " ON CONFLICT (spider, url) DO UPDATE SET lastmod = greatest(sitemaps.lastmod, excluded.lastmod)",
                    [(spider, url, lastmod) for url, lastmod in sorted(read.items())],
                )

        self._call(work)

    def begin_run(self, spider: str, run_id: str, feeds: Iterable[str], now: str) -> None:
        holder = getattr(self, "_holder", None) or RunHolder.this_process(run_id, now)
        self.worker = self.worker or f"{holder.host}:{holder.pid}"

        def work(db: psycopg.Connection) -> None:
            db.execute(
                "INSERT INTO runs (spider, run_id, started, status) VALUES (%s, %s, %s, 'running')"
                " ON CONFLICT DO NOTHING",
                (spider, run_id, now),
            )
            db.execute(
                "INSERT INTO run_workers (spider, run_id, worker, host, pid, started, status, feeds)"
                " VALUES (%s, %s, %s, %s, %s, %s, 'running', %s) ON CONFLICT (spider, run_id, worker) DO UPDATE SET"
                " ended = NULL, status = 'running'",
                (spider, run_id, self.worker, holder.host, holder.pid, now, Jsonb(list(feeds))),
            )

        self._call(work)

    def set_run_feeds(self, spider: str, run_id: str, feeds: Iterable[str]) -> None:
        self._call(
            lambda db: db.execute(
                "UPDATE run_workers SET feeds = %s WHERE spider = %s AND run_id = %s AND worker = %s",
                (Jsonb(list(feeds)), spider, run_id, self.worker),
            )
        )

    def end_run(self, spider: str, run_id: str, status: str, now: str) -> None:
        """Ends this worker's part; the last worker to end closes the run: ``finished`` when every
        part finished (a lost worker's part counts: its work was taken over), else ``failed``."""
        self._end_worker(spider, run_id, self.worker, status, now)

    def mark_lost(self, spider: str, run_id: str, worker: str, now: str) -> None:
        """A worker that died mid-run, whose leased work the others took over."""
        self._end_worker(spider, run_id, worker, "lost", now)

    def _end_worker(self, spider: str, run_id: str, worker: str, status: str, now: str) -> None:
        def work(db: psycopg.Connection) -> None:
            db.execute(
                "UPDATE run_workers SET ended = %s, status = %s WHERE spider = %s AND run_id = %s AND worker = %s"
                " AND ended IS NULL",
                (now, status, spider, run_id, worker),
            )
            db.execute(
                "UPDATE runs SET ended = %s, status = (SELECT CASE WHEN bool_and(status IN ('finished', 'lost'))"
                " THEN 'finished' ELSE 'failed' END FROM run_workers WHERE spider = %s AND run_id = %s)"
                " WHERE spider = %s AND run_id = %s AND ended IS NULL AND NOT EXISTS"
                " (SELECT 1 FROM run_workers WHERE spider = %s AND run_id = %s AND ended IS NULL)",
                (now, spider, run_id, spider, run_id, spider, run_id),
            )

        self._call(work)

    def settled_before(self, spider: str) -> str | None:
        row = self._call(
            lambda db: db.execute(
                "SELECT max(ended) FROM runs WHERE spider = %s AND status = 'finished'", (spider,)
            ).fetchone()
        )
        return row[0] if row else None

    def unfinished_runs(self, spider: str) -> list[RunRecord]:
        """None to replay: records are committed here before any output file has them."""
        return []

    def run_status(self, spider: str, run_id: str) -> str | None:
        row = self._call(
            lambda db: db.execute(
                "SELECT status FROM runs WHERE spider = %s AND run_id = %s", (spider, run_id)
            ).fetchone()
        )
        return row[0] if row else None

    def records(self, spider: str, run_id: str | None = None) -> list[dict[str, Any]]:
        """The committed records, in commit order: every version, or those one run committed."""
        query = "SELECT record FROM records WHERE spider = %s"
        params: tuple[str, ...] = (spider,)
        if run_id is not None:
            query += " AND run_id = %s"
            params += (run_id,)
        query += " ORDER BY committed, article_id, version"
        return [row[0] for row in self._call(lambda db: db.execute(query, params).fetchall())]

    def running_runs(self, spider: str) -> list[str]:
        """Runs that have not ended: going now, or killed."""
        query = "SELECT run_id FROM runs WHERE spider = %s AND status = 'running' ORDER BY run_id"
        return [row[0] for row in self._call(lambda db: db.execute(query, (spider,)).fetchall())]

    def stream_records(self, spider: str, skip_runs: list[str], batch: int = 2000) -> Iterator[tuple[int, dict]]:
        """``(version, record)`` of every record committed by a run not in ``skip_runs``, in commit
        order, through a server-side cursor (the table may hold millions)."""
        try:
            if self.db is None or self.db.closed:
                self.db = psycopg.connect(self.uri, autocommit=True, connect_timeout=5)
            with self.db.transaction(), self.db.cursor(name="newsspider_export") as cursor:
                cursor.itersize = batch
                cursor.execute(
                    "SELECT version, record FROM records WHERE spider = %s AND NOT (run_id = ANY(%s))"
                    " ORDER BY committed, article_id, version",
                    (spider, skip_runs),
                )
                yield from cursor
        except psycopg.Error as exc:  # the server went away mid-read: no retry, the export starts again
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StateError(f"state {redacted(self.uri)}: reading the records table failed ({reason})") from None

    def records_at(self, spider: str, keys: list[tuple[str, int]]) -> dict[tuple[str, int], dict]:
        """The records of the given (article id, version) keys."""
        ids = [k[0] for k in keys]
        versions = [k[1] for k in keys]
        query = (
            "SELECT r.article_id, r.version, r.record FROM records r"
            " JOIN unnest(%s::text[], %s::int[]) AS k(article_id, version)"
            " ON r.article_id = k.article_id AND r.version = k.version WHERE r.spider = %s"
        )
        rows = self._call(lambda db: db.execute(query, (ids, versions, spider)).fetchall())
        return {(a, v): record for a, v, record in rows}

    def close(self) -> None:
        self._disconnect()
