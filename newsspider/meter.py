"""Progress of the commands that work through an archive or a dataset (``reextract``, ``export``),
phase by phase: a tqdm bar on a terminal; otherwise (cron mails, Scrapyd logs, a pipe) one plain line
every ``NEWSSPIDER_PROGRESS_INTERVAL`` seconds and one as each phase ends. An interval of 0 shows none.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

SIZES = ("B", "KB", "MB", "GB", "TB")


def amount(value: float, unit: str) -> str:
    """``1,234 articles``; bytes in the largest unit under 1,000 (``26.0 GB``)."""
    if unit != "B":
        return f"{value:,.0f} {unit}"
    for size in SIZES:
        if abs(value) < 1000 or size == SIZES[-1]:
            return f"{value:.0f} {size}" if size == "B" else f"{value:.1f} {size}"
        value /= 1000
    raise AssertionError("unreachable")


def duration(seconds: float) -> str:
    """``0.4 s``, ``45 s``, ``12 min``, ``3.5 h``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Phase:
    """One phase's count of done work, against its total when known."""

    def __init__(self, meter: Meter, name: str, total: int | None, unit: str):
        self.meter, self.name, self.total, self.unit = meter, name, total, unit
        self.done = 0
        self.note = ""
        self.started = self.last = meter.clock()
        self.bar: Any = None
        if meter.tty and meter.interval:
            from tqdm import tqdm

            # A terminal that reports no size (a pty without one) would get no bar at all from tqdm.
            size = shutil.get_terminal_size()
            self.bar = tqdm(
                total=total,
                unit=unit,
                unit_scale=unit == "B",
                desc=f"{meter.tool} {name}",
                file=meter.stream,
                ncols=size.columns or 100,
                nrows=size.lines or 24,
                leave=True,
            )

    def update(self, n: int = 1, note: str | None = None) -> None:
        """``n`` more done; ``note`` says what else the line should tell (files, responses...)."""
        self.done += n
        if note is not None:
            self.note = note
        if self.bar is not None:
            if note is not None:
                self.bar.set_postfix_str(note, refresh=False)
            self.bar.update(n)
            return
        now = self.meter.clock()
        finished = self.total is not None and self.done >= self.total  # the closing line says it
        if self.meter.interval and now - self.last >= self.meter.interval and not finished:
            self.last = now
            self.meter.write(self.line(now))

    def line(self, now: float, ended: bool = False) -> str:
        """``reextract extracting: 1,234 of 5,000 articles (24.7%), 310 articles/s, ~12 s left; ...``."""
        seconds = now - self.started
        done = amount(self.done, self.unit)
        if self.total and self.unit == "B":
            done = f"{done} of {amount(self.total, self.unit)} ({100 * self.done / self.total:.1f}%)"
        elif self.total:
            done = f"{self.done:,} of {self.total:,} {self.unit} ({100 * self.done / self.total:.1f}%)"
        rate = self.done / seconds if seconds > 0 else 0.0
        parts = [done]
        if ended:
            parts.append(f"done in {duration(seconds)}")
        else:
            parts.append(f"{amount(rate, 'B')}/s" if self.unit == "B" else f"{rate:,.1f} {self.unit}/s")
            if self.total and rate > 0:
                parts.append(f"~{duration((self.total - self.done) / rate)} left")
        if self.note:
            parts.append(self.note)
        return f"{self.meter.tool} {self.name}: " + ", ".join(parts)

    def close(self, ended: bool = True) -> None:
        """The phase's last line (a failed phase's bar is closed without one)."""
        if self.bar is not None:
            self.bar.close()
        elif self.meter.interval and ended:
            self.meter.write(self.line(self.meter.clock(), ended=True))


class Meter:
    """The progress of one command (``tool``), phase after phase, on ``stream``."""

    def __init__(
        self,
        tool: str,
        interval: float,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.tool = tool
        self.interval = interval
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())

    @contextmanager
    def phase(self, name: str, total: int | None = None, unit: str = "items") -> Iterator[Phase]:
        phase = Phase(self, name, total, unit)
        try:
            yield phase
        except BaseException:
            phase.close(ended=False)
            raise
        phase.close()

    def write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)
