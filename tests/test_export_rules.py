"""Export's rules that make a dataset never lie: which record wins, which schema versions are read,
which runs count, and that a failed export leaves the last good dataset as it was."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from newsspider.exports.duplicates import mark_duplicates, precision_recall
from newsspider.samplesite.duplicates import planted_across
from newsspider.samplesite.generator import SampleSite
from newsspider.state import SqliteStateStore
from tests.conftest import LOOPBACK_SETTINGS, PROJECT, SMALL_SITE, SampleServerProcess, subprocess_env
from tests.test_export import export, valid_record
from tests.test_scheduled import ScheduledCrawls

SITE = SampleSite(articles=SMALL_SITE)


def record(article: str, downloaded: str, body: str | None = None, version: int | None = None) -> dict:
    out = valid_record(SITE, article)
    if body is not None:
        out["articleBody"] = body
    out["metadata"] = {
        **out["metadata"],
        "dateDownloaded": downloaded,
        "version": version,
        "contentHash": "sha256:" + hashlib.sha256(out["articleBody"].encode("utf-8")).hexdigest(),
    }
    return out


def run_file(folder: Path, name: str, records: list[dict], finished: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    if finished:
        (folder / f"{name}.report.json").write_text('{"verdict": "ok"}', "utf-8")
    return path


def exported(tmp: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    target = tmp / "ds"
    result = export("--input", str(tmp / "runs"), "--format", "jsonl", "-o", str(target), *args)
    path = target / "data" / "train.jsonl"
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []
    return result, rows


def test_the_newest_observation_wins_whatever_produced_it(tmp_path: Path) -> None:
    a, b, c = SITE.public_ids[:3]
    runs = tmp_path / "runs"
    run_file(
        runs, "20260101T000000Z", [record(a, "2026-01-01T00:00:00Z", version=1), record(b, "2026-01-01T00:00:00Z")]
    )
    run_file(runs, "20260102T000000Z", [record(a, "2026-01-02T00:00:00Z", "第二版。", version=2)])
    # A run with the state off (no version), and a re-extraction beside the runs: newer, so they win.
    run_file(runs, "20260103T000000Z", [record(a, "2026-01-03T00:00:00Z", "第三版。")])
    run_file(runs, "reextracted", [record(b, "2026-01-03T00:00:00Z", "修好的正文。")])
    # The same moment in two runs: the later run wins the tie.
    run_file(runs, "20260104T000000Z", [record(c, "2026-01-05T00:00:00Z", "先。")])
    run_file(runs, "20260105T000000Z", [record(c, "2026-01-05T00:00:00Z", "后。")])
    result, rows = exported(tmp_path, "--state", "none")
    assert result.returncode == 0, result.stderr
    assert [r["articleId"] for r in rows] == sorted([a, b, c], key=lambda i: (len(i), i))
    assert {r["articleId"]: r["articleBody"] for r in rows} == {a: "第三版。", b: "修好的正文。", c: "后。"}


def test_all_versions_gives_each_distinct_content_once(tmp_path: Path) -> None:
    a = SITE.public_ids[0]
    first, edited = record(a, "2026-01-01T00:00:00Z", version=1), record(a, "2026-01-02T00:00:00Z", "改过。", version=2)
    runs = tmp_path / "runs"
    run_file(runs, "20260101T000000Z", [first])
    run_file(runs, "20260102T000000Z", [edited])
    run_file(runs, "20260103T000000Z", [record(a, "2026-01-03T00:00:00Z", "改过。")])  # the same text again
    run_file(runs, "20260104T000000Z", [record(a, "2026-01-04T00:00:00Z", "改过。")])
    result, rows = exported(tmp_path, "--state", "none", "--all-versions")
    assert result.returncode == 0, result.stderr
    assert [(r["articleBody"], r["metadata"]["dateDownloaded"]) for r in rows] == [
        (first["articleBody"], "2026-01-01T00:00:00Z"),
        ("改过。", "2026-01-02T00:00:00Z"),  # as first observed, once
    ]


def older(version: str, article: str) -> dict:
    """A record as schema ``version`` wrote it: the fields later versions added are absent."""
    out = copy.deepcopy(record(article, "2026-01-01T00:00:00Z", version=1))
    out["metadata"]["schemaVersion"] = version
    del out["extraction"]  # added in 1.5.0
    if version < "1.4.0":
        del out["dateModified"]  # added in 1.4.0
        for image in out["images"]:
            del image["credit"]  # added in 1.4.0
    if version < "1.3.0":
        del out["site"]  # added in 1.3.0
    for related in out["relatedArticles"]:
        del related["articleId"]  # added in 1.2.0
    if version == "1.0.0":
        del out["metadata"]["version"], out["metadata"]["previousHash"]  # added in 1.1.0
    return out


def test_records_of_older_minor_versions_are_read_with_the_added_fields_null(tmp_path: Path) -> None:
    ids = sorted(SITE.public_ids[:7], key=lambda i: (len(i), i))
    old = [older(v, i) for v, i in zip(("1.1.0", "1.0.0", "1.2.0", "1.3.0", "1.4.0"), ids, strict=False)]
    for version_1_2 in old[2]["relatedArticles"]:
        version_1_2["articleId"] = None  # 1.2.0 has the field: only site is missing
    old[4]["relatedArticles"] = old[3]["relatedArticles"] = old[2]["relatedArticles"] = []  # they have the field
    assert old[0]["relatedArticles"], "the test needs related articles to mean something"
    assert any(r["images"] for r in old), "the test needs images to mean something"
    newer = record(ids[5], "2026-01-01T00:00:00Z")
    newer["metadata"]["schemaVersion"] = "1.6.0"  # from a newer newsspider: its fields are unknown here
    other = record(ids[6], "2026-01-01T00:00:00Z")
    other["metadata"]["schemaVersion"] = "2.0.0"
    run_file(tmp_path / "runs", "20260101T000000Z", [*old, newer, other])
    result = export("--input", str(tmp_path / "runs"), "--state", "none", "-o", str(tmp_path / "ds"))
    assert result.returncode == 0, result.stderr
    assert (
        "unsupported_schema_version/1.6.0 1" in result.stderr and "unsupported_schema_version/2.0.0 1" in result.stderr
    )
    rows = pq.read_table(tmp_path / "ds" / "data").to_pylist()
    assert [r["articleId"] for r in rows] == ids[:5]
    for row, source in zip(rows, old, strict=True):
        assert row["metadata"]["schemaVersion"] == source["metadata"]["schemaVersion"]  # as written
        assert row["site"] == "www.bannedbook.org"  # its spider's site: metadata.spider is bannedbook
        assert [r["articleId"] for r in row["relatedArticles"]] == [None] * len(source["relatedArticles"])
        assert row["headline"] == source["headline"] and row["articleBody"] == source["articleBody"]
        assert row["dateModified"] is None and all(image["credit"] is None for image in row["images"])
        assert row["extraction"] == "site"  # every record before 1.5.0 came from the site file's selectors
    assert rows[1]["metadata"]["version"] is None and rows[1]["metadata"]["previousHash"] is None


def test_only_finished_runs_are_exported_and_the_rest_are_named(tmp_path: Path) -> None:
    ids = sorted(SITE.public_ids[:4], key=lambda i: (len(i), i))
    runs = tmp_path / "runs"
    run_file(runs, "20260101T000000Z", [record(ids[0], "2026-01-01T00:00:00Z")])
    going = run_file(runs, "20260102T000000Z", [record(ids[1], "2026-01-02T00:00:00Z")], finished=False)
    killed = run_file(runs, "20260103T000000Z", [record(ids[2], "2026-01-03T00:00:00Z")], finished=False)
    replayed = run_file(runs, "20260104T000000Z", [record(ids[3], "2026-01-04T00:00:00Z")], finished=False)
    state = tmp_path / "state.sqlite3"
    store = SqliteStateStore(state)
    for run_id, feed in (("killed", killed), ("replayed", replayed)):
        store.begin_run("bannedbook", run_id, [str(feed)], "2026-01-03T00:00:00Z")
    store.end_run("bannedbook", "replayed", "replayed", "2026-01-05T00:00:00Z")  # the next run replayed it
    store.close()
    result, rows = exported(tmp_path, "--state", f"sqlite:///{state}")
    assert result.returncode == 0, result.stderr
    assert [r["articleId"] for r in rows] == [ids[0], ids[3]]
    assert f"left out {going}: no {going.stem}.report.json beside it" in result.stderr
    assert f"left out {killed}: its run is still going, or was killed and not yet replayed" in result.stderr
    card = (tmp_path / "ds" / "README.md").read_text("utf-8")
    assert str(going) in card and str(killed) in card and "Left out, not finished" in card


def test_an_export_during_a_crawl_leaves_the_running_crawl_out(tmp_path: Path) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE)
    try:
        crawls = ScheduledCrawls(server, tmp_path, **LOOPBACK_SETTINGS)
        status, first, _ = crawls.run()
        assert status == 0
        server.admin("publish", 3)
        known = set(crawls.runs())
        # Slowed down, so that the export surely runs while the second crawl is still going.
        running = crawls.start(NEWSSPIDER_REFRESH_AFTER=0, DOWNLOAD_DELAY=0.3, CONCURRENT_REQUESTS_PER_DOMAIN=1)
        try:
            feed = crawls.wait_for_lines(running, 1, known)
            args = ["--input", str(crawls.output), "--state", f"sqlite:///{tmp_path / 'state.sqlite3'}"]
            during = export(*args, "--format", "jsonl", "-o", str(tmp_path / "ds"))
            assert running.poll() is None, "the crawl ended before the export ran"
        finally:
            assert running.wait(timeout=300) == 0
    finally:
        server.stop()
    assert during.returncode == 0, during.stderr
    assert f"left out {feed}" in during.stderr
    rows = [json.loads(line) for line in (tmp_path / "ds" / "data" / "train.jsonl").read_text("utf-8").splitlines()]
    assert sorted(r["articleId"] for r in rows) == sorted(r["articleId"] for r in first)  # the first run, whole
    after = export(*args, "--format", "jsonl", "-o", str(tmp_path / "ds"))
    assert after.returncode == 0 and "left out" not in after.stderr, after.stderr
    second = [json.loads(line) for line in feed.read_text("utf-8").splitlines()]
    rows = [json.loads(line) for line in (tmp_path / "ds" / "data" / "train.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == len({r["articleId"] for r in first + second}) and len(second) >= 3


def test_a_run_with_the_state_off_after_an_edit_gives_the_edited_text(tmp_path: Path) -> None:
    """The issue's repro: crawl, edit, crawl again with the state off, export."""
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE)
    try:
        crawls = ScheduledCrawls(server, tmp_path, **LOOPBACK_SETTINGS)
        assert crawls.run()[0] == 0
        edited = server.admin("edit", 2)
        status, full, _ = crawls.run(NEWSSPIDER_STATE_ENABLED=False)
        assert status == 0
    finally:
        server.stop()
    result = export("--input", str(crawls.output), "--state", "none", "--format", "jsonl", "-o", str(tmp_path / "ds"))
    assert result.returncode == 0, result.stderr
    rows = {
        json.loads(line)["articleId"]: json.loads(line) for line in (tmp_path / "ds" / "data" / "train.jsonl").open()
    }
    newest = {r["articleId"]: r for r in full}
    for article in edited:
        assert rows[article]["articleBody"] == newest[article]["articleBody"]
        assert rows[article]["metadata"]["version"] is None  # the state-off run's record, not the versioned one


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


PHASE_LINE = re.compile(r"export (reading|staging rows|marking duplicates|writing): .*, done in [\d.]+ (s|min|h)")


def test_a_failed_export_leaves_the_previous_dataset_as_it_was(tmp_path: Path, small_disk: Path) -> None:
    runs = tmp_path / "runs"
    run_file(runs, "20260101T000000Z", [record(a, "2026-01-01T00:00:00Z") for a in SITE.public_ids[:2]])
    target = small_disk / "ds"
    first = export("--input", str(runs), "--state", "none", "--format", "jsonl", "-o", str(target))
    assert first.returncode == 0, first.stderr
    before = tree(target)
    big = [record(a, "2026-01-02T00:00:00Z", "长" * 40_000 + a) for a in SITE.public_ids[2:8]]  # ~0.7 MB
    run_file(runs, "20260102T000000Z", big)
    full = export("--input", str(runs), "--state", "none", "--format", "jsonl", "-o", str(target))
    assert full.returncode == 3, full.stderr
    # One line says why; the others are the phases that ended before it (its progress).
    (line,) = [line for line in full.stderr.strip().splitlines() if not PHASE_LINE.match(line)]
    assert "could not be written" in line and "No space left on device" in line and str(target) in line
    assert tree(target) == before  # the earlier snapshot, byte for byte
    assert sorted(p.name for p in small_disk.iterdir()) == ["ds"]  # nothing half-built left behind

    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    read_only = export("--input", str(runs), "--state", "none", "-o", str(target))
    assert read_only.returncode == 2 and "Read-only file system" in read_only.stderr, read_only.stderr
    assert len(read_only.stderr.strip().splitlines()) == 1 and tree(target) == before
    proc = export("--input", str(runs), "--state", "none", "-o", "/proc/x")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in full.stderr + read_only.stderr + proc.stderr


def test_the_demo_writes_where_no_crawl_or_default_export_reads(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsspider", "demo", "--articles", "20"],
        cwd=tmp_path,
        env={**subprocess_env(), "PYTHONPATH": str(PROJECT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (feed,) = (tmp_path / "output" / "demo" / "bannedbook").glob("*.jsonl")
    assert len(feed.read_text("utf-8").splitlines()) == 20
    assert not (tmp_path / "output" / "bannedbook").exists() and not (tmp_path / "state").exists()
    default = export(cwd=tmp_path)  # the default export reads output/bannedbook: the demo's records are not there
    assert default.returncode == 1 and "nothing to export" in default.stderr, default.stderr


@pytest.mark.parametrize("name", ["rebuilt", "0-rebuilt"])  # sorting before the runs or after: it wins the tie
def test_a_reextraction_beside_the_runs_gives_the_mended_records(tmp_path: Path, name: str) -> None:
    """A selector mended, the archive re-extracted into the runs' folder: the export takes the mended
    records, which carry the same fetch time as the crawl's (the same archived fetch)."""
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE)
    try:
        crawls = ScheduledCrawls(server, tmp_path, **LOOPBACK_SETTINGS)
        status, crawled, _ = crawls.run()
        assert status == 0
    finally:
        server.stop()
    rebuilt = crawls.output / f"{name}.jsonl"
    change = json.dumps({"promo": []})  # promo lists kept: a body change every such article shows
    command = [sys.executable, "-m", "newsspider", "reextract", str(crawls.output / "warc"), "-o", str(rebuilt)]
    command += ["-s", f"NEWSSPIDER_STRIP_SELECTORS={change}"]
    done = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(rebuilt.with_name(f"{name}.report.json").read_text("utf-8"))["tool"] == "reextract"
    mended = {r["articleId"]: r for r in map(json.loads, rebuilt.read_text("utf-8").splitlines())}
    result = export("--input", str(crawls.output), "--state", "none", "--format", "jsonl", "-o", str(tmp_path / "ds"))
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "ds" / "data" / "train.jsonl").read_text("utf-8").splitlines()
    rows = {row["articleId"]: row for row in map(json.loads, lines)}
    assert rows.keys() == {r["articleId"] for r in crawled} == mended.keys()
    changed = [
        a for a in mended if mended[a]["articleBody"] != next(r for r in crawled if r["articleId"] == a)["articleBody"]
    ]
    assert changed, "the selector change changed no record"
    assert all(rows[a]["articleBody"] == mended[a]["articleBody"] for a in rows)


def test_several_spiders_make_one_snapshot_keyed_by_site_and_article(tmp_path: Path) -> None:
    article = SITE.public_ids[0]
    mine = record(article, "2026-01-01T00:00:00Z")
    theirs = {**record(article, "2026-01-01T00:00:00Z", "另一个网站的同号文章。"), "site": "www.example.org"}
    theirs["metadata"] = {**theirs["metadata"], "spider": "other"}
    run_file(tmp_path / "output" / "bannedbook", "20260101T000000Z", [mine])
    run_file(tmp_path / "output" / "other", "20260101T000000Z", [theirs])
    result = export("--spider", "bannedbook", "--spider", "other", "--state", "none", "--format", "jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    target = tmp_path / "output" / "bannedbook+other-dataset"
    rows = [json.loads(line) for line in (target / "data" / "train.jsonl").read_text("utf-8").splitlines()]
    assert [(r["site"], r["articleId"]) for r in rows] == [
        ("www.bannedbook.org", article),
        ("www.example.org", article),
    ]
    card = (target / "README.md").read_text("utf-8")
    assert "| www.bannedbook.org | 1 |" in card and "| www.example.org | 1 |" in card
    both = export("--spider", "bannedbook", "--spider", "other", "--input", str(tmp_path / "output" / "other"))
    assert both.returncode == 2 and "--input reads one spider's folder" in both.stderr
    every = export("--spider", "all", "--state", "none", cwd=tmp_path)  # every site file's spider
    assert every.returncode == 0 and (tmp_path / "output" / "bannedbook+rfi-dataset" / "data").is_dir(), every.stderr


def test_a_republication_of_another_sites_article_is_marked_a_duplicate_of_it(tmp_path: Path) -> None:
    """bannedbook republishes RFI (来源：RFI法广): one snapshot of both names the RFI original."""
    rfi = SampleSite(articles=SMALL_SITE, site="rfi", seed=2025)
    records, truth = planted_across(rfi, SITE, "http://127.0.0.1", 8)
    found = mark_duplicates(records)
    assert precision_recall(found, truth) == (1.0, 1.0)
    assert all(first[0] == "www.rfi.fr" and copy[0] == "www.bannedbook.org" for copy, first in truth.items())
    by_site: dict[str, list[dict]] = {"www.rfi.fr": [], "www.bannedbook.org": []}
    for n, item in enumerate(records):
        item["articleBodyHtml"] = "<p>x</p>"  # expected records leave the HTML out
        item["metadata"] = {**item["metadata"], "dateDownloaded": f"2026-01-01T00:00:{n % 60:02d}Z"}
        item["metadata"]["spider"] = "rfi" if item["site"] == "www.rfi.fr" else "bannedbook"
        by_site[item["site"]].append(item)
    run_file(tmp_path / "output" / "rfi", "20260101T000000Z", by_site["www.rfi.fr"])
    run_file(tmp_path / "output" / "bannedbook", "20260101T000000Z", by_site["www.bannedbook.org"])
    result = export("--spider", "bannedbook", "--spider", "rfi", "--state", "none", "--format", "jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "output" / "bannedbook+rfi-dataset" / "data" / "train.jsonl"
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    marked = {(r["site"], r["articleId"]): (r["duplicateOfSite"], r["duplicateOf"]) for r in rows if r["duplicateOf"]}
    assert marked == truth
