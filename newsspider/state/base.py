"""The interface every crawl-state store implements, and the values it passes."""

from __future__ import annotations

import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# How the state writes times: UTC to the microsecond, so that text comparison is time order.
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp(moment: datetime | None = None) -> str:
    """``moment`` (default: now) as the state writes it."""
    return (moment or datetime.now(UTC)).strftime(TIME_FORMAT)


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
    # Its related list was not followed (reached too many related hops from a listing): a run that
    # finds it on a listing fetches it again to follow that list.
    unexpanded: bool = False
    # The id the article is kept under, when this id is another edition's page of it (see superseded).
    kept_as: str | None = None


@dataclass(frozen=True)
class Emission:
    """One record that reached the output file."""

    article_id: str
    canonical_url: str
    content_hash: str
    version: int


@dataclass
class StateChanges:
    """Everything a batch writes in one transaction."""

    emitted: dict[str, Emission]
    fetched: dict[str, tuple[str, str]]  # article id -> (url, when)
    discovered: dict[str, str]  # article id -> url, links to articles not held yet
    unexpanded: dict[str, tuple[str, bool]] = field(default_factory=dict)  # article id -> (url, flag)
    # Links that leave the frontier unemitted, the same article being kept under another id (another
    # edition's page of it): id -> that id, remembered so that later runs need not fetch this page again.
    superseded: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> StateChanges:
        return cls(emitted={}, fetched={}, discovered={})

    def __bool__(self) -> bool:
        return bool(self.emitted or self.fetched or self.discovered or self.unexpanded or self.superseded)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    status: str
    feeds: tuple[str, ...]


@dataclass(frozen=True)
class RunHolder:
    """Who runs on a state: named when a second run is refused."""

    run_id: str
    pid: int
    host: str
    started: str

    @classmethod
    def this_process(cls, run_id: str, started: str) -> RunHolder:
        return cls(run_id, os.getpid(), socket.gethostname(), started)


class StateStore(ABC):
    """Per-spider crawl state. Implementations must make :meth:`apply` atomic."""

    # True for a store that commits each record itself (:meth:`commit_record`) before it is
    # written out: a store shared by workers, whose machines may vanish with their output files.
    keeps_records: bool = False

    def commit_record(self, spider: str, emission: Emission, record: dict[str, Any], run_id: str, now: str) -> bool:
        """Commit a record with its version, atomically; False when that version of the article is
        committed already (another worker emitted it). Only stores that keep records have it."""
        raise NotImplementedError(f"{type(self).__name__} keeps no records")

    @abstractmethod
    def get(self, spider: str, article_ids: Iterable[str]) -> dict[str, ArticleState]: ...

    @abstractmethod
    def apply(self, spider: str, changes: StateChanges, now: str) -> None:
        """Write emissions (only ever moving an article's version forward), fetch times and the
        frontier: discovered links are added unless held, emitted ids leave it."""

    @abstractmethod
    def frontier(self, spider: str) -> dict[str, str]:
        """Article id -> URL of links found but not fetched yet (e.g. by a killed run)."""

    @abstractmethod
    def sitemaps_read(self, spider: str) -> dict[str, str]:
        """Sitemap URL -> the index ``lastmod`` it had when a finished run last read it in full."""

    @abstractmethod
    def note_sitemaps_read(self, spider: str, read: dict[str, str]) -> None: ...

    @abstractmethod
    def lock(self, spider: str, holder: RunHolder) -> None:
        """Take the spider's state for one run; :class:`StateBusy` names the run holding it.
        A lock left by a killed run must not block (a store that supports concurrent runs may
        accept every caller)."""

    @abstractmethod
    def unlock(self, spider: str) -> None: ...

    @abstractmethod
    def begin_run(self, spider: str, run_id: str, feeds: Iterable[str], now: str) -> None: ...

    @abstractmethod
    def set_run_feeds(self, spider: str, run_id: str, feeds: Iterable[str]) -> None:
        """The files the run writes, which a later run replays if this one is killed."""

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
