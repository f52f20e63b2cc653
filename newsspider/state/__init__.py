"""Persistent crawl state: which articles a spider holds, what it emitted, what is left to fetch.

The store sits behind :class:`StateStore`: SQLite (:mod:`.sqlite`) is the embedded default, and
PostgreSQL (:mod:`.postgres`) is shared by workers crawling together. :func:`open_store` picks one
by URI scheme. Every failure to read or write a store is a
:class:`~newsspider.errors.StateError` naming the store.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from newsspider import config
from newsspider.errors import BadInput
from newsspider.redact import redacted
from newsspider.state.base import (
    ArticleState,
    Emission,
    RunHolder,
    RunRecord,
    StateChanges,
    StateStore,
)
from newsspider.state.sqlite import SqliteStateStore

__all__ = [
    "ArticleState",
    "Emission",
    "RunHolder",
    "RunRecord",
    "SqliteStateStore",
    "StateChanges",
    "StateStore",
    "open_store",
]


def open_store(uri: str, retry_for: float = 60.0, **params: str) -> StateStore:
    """``sqlite:///relative/path.sqlite3`` or ``sqlite:////absolute/path.sqlite3`` (SQLAlchemy's
    form), or ``postgresql://user:password@host:port/database`` for a state that workers share;
    ``%(name)s``-style placeholders are filled from ``params``. A PostgreSQL server lost mid-run
    is retried for ``retry_for`` seconds."""
    uri = config.fill("NEWSSPIDER_STATE_URI", uri, params) if params else uri
    scheme = urlsplit(uri).scheme
    if scheme == "sqlite":
        path = uri[len("sqlite:///") :] if uri.startswith("sqlite:///") else ""
        if not path:
            raise BadInput(f"setting NEWSSPIDER_STATE_URI={uri!r}: expected sqlite:///PATH")
        return SqliteStateStore(path)
    if scheme in ("postgresql", "postgres"):
        from newsspider.state.postgres import PostgresStateStore  # psycopg only where it is used

        return PostgresStateStore(uri, retry_for=retry_for)
    raise BadInput(
        f"setting NEWSSPIDER_STATE_URI={redacted(uri)!r}: no state store for scheme {scheme!r};"
        " supported: sqlite, postgresql"
    )
