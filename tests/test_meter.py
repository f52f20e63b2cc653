"""Progress of reextract and export (newsspider.meter): plain lines at the interval and at each
phase's end when stderr is no terminal (cron mails, Scrapyd logs), a tqdm bar when it is one."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsspider.meter import Meter, amount, duration
from tests.conftest import PROJECT, SMALL_SITE, SampleServerProcess, subprocess_env
from tests.test_archive import run_crawl


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_come_at_the_interval_and_when_a_phase_ends() -> None:
    stream, clock = io.StringIO(), Clock()
    meter = Meter("reextract", 30, stream, clock)
    with meter.phase("extracting", 100, "articles") as phase:
        phase.update(10, "10 records")
        assert stream.getvalue() == ""  # not yet an interval
        clock.now = 40.0
        phase.update(10, "20 records")
        clock.now = 50.0
        phase.update(30)  # within the interval of the last line: none
        clock.now = 80.0
        phase.update(50, "100 records")  # all done: the closing line says it
    assert stream.getvalue().splitlines() == [
        "reextract extracting: 20 of 100 articles (20.0%), 0.5 articles/s, ~3 min left, 20 records",
        "reextract extracting: 100 of 100 articles (100.0%), done in 80 s, 100 records",
    ]


def test_what_is_left_is_the_rest_at_the_rate_so_far() -> None:
    stream, clock = io.StringIO(), Clock()
    with Meter("export", 5, stream, clock).phase("writing", 100, "rows") as phase:
        clock.now = 10.0
        phase.update(50)  # 5 rows/s: the other 50 take 10 s
    assert stream.getvalue().splitlines()[0] == "export writing: 50 of 100 rows (50.0%), 5.0 rows/s, ~10 s left"


def test_a_phase_without_a_total_counts_and_bytes_read_as_sizes() -> None:
    stream, clock = io.StringIO(), Clock()
    with Meter("export", 5, stream, clock).phase("staging rows", unit="rows") as phase:
        clock.now = 6.0
        phase.update(1200)
    with Meter("export", 5, stream, clock).phase("reading", 26_000_000_000, "B") as phase:
        phase.update(13_000_000_000)
    assert stream.getvalue().splitlines() == [
        "export staging rows: 1,200 rows, 200.0 rows/s",
        "export staging rows: 1,200 rows, done in 6.0 s",
        "export reading: 13.0 GB of 26.0 GB (50.0%), done in 0.0 s",
    ]
    assert (amount(999, "B"), amount(1_000, "B"), amount(2_000_000, "B")) == ("999 B", "1.0 KB", "2.0 MB")
    assert (duration(0.25), duration(45), duration(720), duration(12_600)) == ("0.2 s", "45 s", "12 min", "3.5 h")


def test_an_interval_of_zero_shows_nothing_and_a_failed_phase_says_no_done() -> None:
    stream = io.StringIO()
    with Meter("export", 0, stream).phase("reading", 10) as phase:
        phase.update(10)
    assert stream.getvalue() == ""
    with pytest.raises(OSError), Meter("export", 30, stream).phase("writing", 10) as phase:
        phase.update(3)
        raise OSError("disk full")
    assert stream.getvalue() == ""


def test_a_terminal_gets_a_tqdm_bar() -> None:
    terminal = Terminal()
    with Meter("reextract", 30, terminal).phase("extracting", 4, "articles") as phase:
        phase.update(4, "4 records")
    shown = terminal.getvalue()
    assert "\r" in shown and "reextract extracting: 100%|" in shown and "4/4" in shown and "4 records" in shown


@pytest.fixture(scope="module")
def archived(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("meter")
    server = SampleServerProcess(tmp / "requests.log", articles=SMALL_SITE)
    try:
        status, records, folder = run_crawl(server, tmp)
    finally:
        server.stop()
    assert status == 0
    return {"tmp": tmp, "records": len(records), "warc": folder, "items": tmp / "items.jsonl"}


def command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "newsspider", *map(str, args)]


def test_reextract_and_export_report_each_phase_in_plain_lines(archived: dict, tmp_path: Path) -> None:
    size = amount(sum(p.stat().st_size for p in archived["warc"].glob("*.warc.gz")), "B")
    n = archived["records"]
    args = ("reextract", archived["warc"], "-o", tmp_path / "again.jsonl", "-s", "NEWSSPIDER_PROGRESS_INTERVAL=30")
    result = subprocess.run(command(*args), cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    indexed = rf"reextract indexing: {size} of {size} \(100\.0%\), done in [\d.]+ s, \d+ responses, file 1 of 1"
    assert re.fullmatch(indexed, lines[0])
    extracted = rf"reextract extracting: {n} of {n} articles \(100\.0%\), done in [\d.]+ s, {n} records"
    assert re.fullmatch(extracted, lines[1])
    assert lines[2].startswith("reextract: ") and len(lines) == 3

    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(archived["items"].read_bytes())
    (folder / "a.report.json").write_bytes(archived["items"].with_suffix(".report.json").read_bytes())
    args = ("export", "--input", folder, "--state", "none", "--format", "jsonl", "-o", tmp_path / "dataset")
    result = subprocess.run(command(*args), cwd=tmp_path, env=subprocess_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    phases = [line.split(":")[0] for line in result.stderr.splitlines()]
    assert phases == ["export reading", "export staging rows", "export marking duplicates", "export writing", "export"]
    assert f"export writing: {n} of {n} rows (100.0%), done in" in result.stderr
    assert f"export staging rows: {n} rows, done in" in result.stderr
    assert f"export marking duplicates: {n} of {n} articles (100.0%), done in" in result.stderr
    # Parquet is written a row group at a time: its rows are counted too.
    args = ("export", "--input", folder, "--state", "none", "-o", tmp_path / "parquet")
    result = subprocess.run(command(*args), cwd=tmp_path, env=subprocess_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"export writing: {n} of {n} rows (100.0%), done in" in result.stderr


def test_on_a_terminal_reextract_draws_its_bars(archived: dict, tmp_path: Path) -> None:
    primary, secondary = pty.openpty()
    args = ("reextract", archived["warc"], "-o", tmp_path / "again.jsonl")
    process = subprocess.Popen(command(*args), cwd=PROJECT, env=subprocess_env(), stderr=secondary)
    os.close(secondary)
    shown = b""
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:  # the other end closed
            break
        if not data:
            break
        shown += data
    assert process.wait(timeout=300) == 0
    os.close(primary)
    text = shown.decode("utf-8", "replace")
    n = archived["records"]
    assert "reextract indexing: 100%|" in text and "reextract extracting: 100%|" in text
    assert f"{n}/{n}" in text and "\r" in text
