"""Why a run refuses to start. The ``crawl`` command turns these into one line and an exit status."""

from __future__ import annotations


class RunRefused(Exception):
    """The run cannot start as asked; it has fetched and written nothing."""

    exit_status = 2


class BadInput(RunRefused):
    """A spider argument, a setting or a file given to the run cannot be used."""


class StateBusy(RunRefused):
    """Another run holds the crawl state."""

    exit_status = 4


class StateError(Exception):
    """The crawl state could not be read or written; the message names the file and why."""


class Unreachable(RunRefused):
    """A server the run needs (the Redis queue, the PostgreSQL state) does not answer at start."""

    exit_status = 5
