"""``python -m newsspider runs``: the history of a spider's runs, from the reports of real crawls."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT, SampleServerProcess, subprocess_env
from tests.test_scheduled import ScheduledCrawls


def runs(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "newsspider", "runs", *args]
    return subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=60)


def test_two_crawls_make_a_history_newest_first(tmp_path: Path) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", articles=30)
    try:
        crawls = ScheduledCrawls(server, tmp_path)
        first = crawls.run()
        server.admin("publish", 3)
        second = crawls.run()
    finally:
        server.stop()
    assert first[0] == 0 and second[0] == 0
    listed = runs("--input", str(crawls.output), "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [row["runId"] for row in rows] == [second[2]["runId"], first[2]["runId"]]  # newest first
    assert rows[1]["new"] == len(first[1]) and rows[0]["new"] == 3 == len(second[1])
    assert all(row["verdict"] == "ok" and row["alarms"] == [] and row["coverage"]["headline"] == 1.0 for row in rows)
    text = runs("--input", str(crawls.output), "--last", "1")
    assert text.returncode == 0 and text.stdout.splitlines()[0].split()[:3] == ["start", "seconds", "verdict"]
    assert len(text.stdout.splitlines()) == 2 and " 3 " in text.stdout.splitlines()[1]


def test_a_report_that_cannot_be_read_is_named_and_the_rest_listed(tmp_path: Path) -> None:
    (tmp_path / "a.report.json").write_text('{"runId": "a", "start": "2026-01-01T00:00:00Z", "verdict": "ok"}')
    (tmp_path / "b.report.json").write_text("{torn")
    listed = runs("--input", str(tmp_path), "--json")
    assert listed.returncode == 3 and "b.report.json: not a readable report" in listed.stderr
    assert [json.loads(line)["runId"] for line in listed.stdout.splitlines()] == ["a"]
    refused = runs("--input", str(tmp_path / "none"))
    assert refused.returncode == 2 and "newsspider runs: error: no folder" in refused.stderr
