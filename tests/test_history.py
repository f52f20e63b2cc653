"""``python -m newsspider runs``: the history of a spider's runs, from the reports of real crawls."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT, SampleServerProcess, subprocess_env
from tests.test_scheduled import ScheduledCrawls


def runs(*args: str, cwd: Path = PROJECT) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "newsspider", "runs", *args]
    return subprocess.run(command, cwd=cwd, env=subprocess_env(), capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScheduledCrawls, tuple, tuple]:
    tmp = tmp_path_factory.mktemp("history")
    server = SampleServerProcess(tmp / "requests.log", articles=30)
    try:
        crawls = ScheduledCrawls(server, tmp)
        first = crawls.run()
        server.admin("publish", 3)
        second = crawls.run()
    finally:
        server.stop()
    return crawls, first, second


def test_two_crawls_make_a_history_newest_first(two_crawls) -> None:
    crawls, first, second = two_crawls
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
    # A newcomer who ran the demo and then `runs` is shown where the demo's reports went.
    (tmp_path / "output" / "demo" / "rfi").mkdir(parents=True)
    refused = runs("--spider", "rfi", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr.strip().endswith("(the demo's runs: --input output/demo/rfi)")
    refused = runs("--spider", "rfi", "--input", "none", cwd=tmp_path)  # a folder given: no hint
    assert refused.returncode == 2 and "demo's runs" not in refused.stderr


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing, and CI installs it (tests/install-servers)")
        pytest.skip("chromium is not installed (Debian: chromium)")
    return found


def headless(browser: str, page: Path, *args: str) -> subprocess.CompletedProcess:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=page.parent)


def test_the_html_history_loads_and_its_plots_render_in_a_real_browser(two_crawls, tmp_path: Path) -> None:
    browser = chromium()
    crawls, _, _ = two_crawls
    page = tmp_path / "runs.html"
    made = runs("--input", str(crawls.output), "--html", str(page))
    assert made.returncode == 0, made.stderr
    assert made.stderr.strip().endswith(f" -> {page}")  # where the page went
    assert "http://" not in page.read_text("utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")  # self-contained
    dom = headless(browser, page, "--dump-dom")
    assert dom.returncode == 0 and "CONSOLE" not in dom.stderr and "Uncaught" not in dom.stderr, dom.stderr[-2000:]
    assert dom.stdout.count("<polyline") >= 7 and dom.stdout.count('class="chart"') == 4  # 4 plots, every series
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>", "utf-8")
    for name in (page, blank):
        shot = headless(browser, name, f"--screenshot={name.with_suffix('.png')}", "--window-size=900,1400")
        assert shot.returncode == 0, shot.stderr[-2000:]
    # Not blank: four plots and a table compress far worse than an empty page of the same size.
    assert page.with_suffix(".png").stat().st_size > 4 * blank.with_suffix(".png").stat().st_size


def test_the_y_axis_ends_at_a_short_round_number_above_every_point() -> None:
    from newsspider.history import run_row
    from newsspider.historypage import nice_top, page

    tops = [nice_top(v) for v in (1.68026, 320, 1, 0.03, 0)]
    assert tops == [2, 500, 1, 0.05, 1.0]
    one = run_row({"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:01Z", "verdict": "ok"})
    assert "<p>1 run, oldest on the left.</p>" in page("bannedbook", [one], "")
