"""Export's rules at their edges (from a mutation audit: each test fails under a one-line bug that
the broader tests in test_export_rules.py let pass)."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from newsspider.exports import build as build_module
from newsspider.exports import target
from newsspider.exports.duplicates import mark_duplicates
from newsspider.samplesite.generator import SampleSite
from newsspider.state import SqliteStateStore
from tests.test_export import export
from tests.test_export_rules import SITE, exported, older, record, run_file


def ids(n):
    return sorted(SITE.public_ids[:n], key=lambda i: (len(i), i))


def test_at_the_same_moment_in_one_file_the_later_line_wins(tmp_path):
    a = SITE.public_ids[0]
    run_file(
        tmp_path / "runs",
        "20260101T000000Z",
        [record(a, "2026-01-01T00:00:00Z", "前。"), record(a, "2026-01-01T00:00:00Z", "后。")],
    )
    result, rows = exported(tmp_path, "--state", "none")
    assert result.returncode == 0, result.stderr
    assert [r["articleBody"] for r in rows] == ["后。"]


def test_rows_come_in_numeric_article_id_order(tmp_path):
    short, long = record(SITE.public_ids[0], "2026-01-01T00:00:00Z"), record(SITE.public_ids[1], "2026-01-01T00:00:00Z")
    short["articleId"], long["articleId"] = "999", "1000"
    run_file(tmp_path / "runs", "20260101T000000Z", [long, short])
    result, rows = exported(tmp_path, "--state", "none", "--no-duplicates")
    assert result.returncode == 0, result.stderr
    assert [r["articleId"] for r in rows] == ["999", "1000"]


def test_filters_apply_to_the_latest_observation(tmp_path):
    a = SITE.public_ids[0]
    old = record(a, "2026-01-01T00:00:00Z")
    old["datePublished"] = "2024-06-30"
    new = record(a, "2026-01-02T00:00:00Z", "改过。")
    new["datePublished"] = "2024-06-01"  # the date was corrected: now before --since
    run_file(tmp_path / "runs", "20260101T000000Z", [old])
    run_file(tmp_path / "runs", "20260102T000000Z", [new])
    result, rows = exported(tmp_path, "--state", "none", "--since", "2024-06-20")
    assert result.returncode == 1 and rows == [], (result.stderr, rows)


def test_since_keeps_the_day_itself(tmp_path):
    a, b = ids(2)
    ra, rb = record(a, "2026-01-01T00:00:00Z"), record(b, "2026-01-01T00:00:00Z")
    ra["datePublished"], rb["datePublished"] = "2024-06-20", "2024-06-19"
    run_file(tmp_path / "runs", "20260101T000000Z", [ra, rb])
    result, rows = exported(tmp_path, "--state", "none", "--since", "2024-06-20")
    assert result.returncode == 0, result.stderr
    assert [r["articleId"] for r in rows] == [a]


def test_a_section_is_not_a_name_prefix(tmp_path):
    a = SITE.public_ids[0]
    r = record(a, "2026-01-01T00:00:00Z")
    r["section"] = "worldnews"
    run_file(tmp_path / "runs", "20260101T000000Z", [r])
    result, rows = exported(tmp_path, "--state", "none", "--section", "world")
    assert result.returncode == 1 and rows == [], result.stderr


def test_language_zh_means_both_scripts(tmp_path):
    a, b = ids(2)
    ra, rb = record(a, "2026-01-01T00:00:00Z"), record(b, "2026-01-01T00:00:00Z")
    ra["inLanguage"], rb["inLanguage"] = "zh-CN", "zh-TW"
    run_file(tmp_path / "runs", "20260101T000000Z", [ra, rb])
    result, rows = exported(tmp_path, "--state", "none", "--language", "zh", "--no-duplicates")
    assert result.returncode == 0, result.stderr
    assert sorted(r["inLanguage"] for r in rows) == ["zh-CN", "zh-TW"]


def test_older_versions_as_json_lines_have_the_added_fields_null(tmp_path):
    a, b = ids(2)
    run_file(tmp_path / "runs", "20260101T000000Z", [older("1.1.0", a), older("1.0.0", b)])
    result, rows = exported(tmp_path, "--state", "none")
    assert result.returncode == 0, result.stderr
    for row in rows:
        assert all("articleId" in rel and rel["articleId"] is None for rel in row["relatedArticles"])
        assert {"version", "previousHash"} <= row["metadata"].keys()


@pytest.mark.parametrize("with_report", [False, True])
def test_a_file_a_later_running_run_appends_to_is_left_out(tmp_path, with_report):
    a = SITE.public_ids[0]
    feed = run_file(tmp_path / "runs", "shared", [record(a, "2026-01-01T00:00:00Z")], finished=with_report)
    state = tmp_path / "state.sqlite3"
    store = SqliteStateStore(state)
    store.begin_run("bannedbook", "20260101T000000Z", [str(feed)], "2026-01-01T00:00:00Z")
    store.end_run("bannedbook", "20260101T000000Z", "finished", "2026-01-01T01:00:00Z")
    store.begin_run("bannedbook", "20260102T000000Z", [str(feed)], "2026-01-02T00:00:00Z")  # -o onto it, going now
    store.close()
    result, rows = exported(tmp_path, "--state", f"sqlite:///{state}")
    assert f"left out {feed}" in result.stderr, result.stderr
    assert rows == []


def test_a_source_changed_between_the_passes_fails_the_export(tmp_path, monkeypatch):
    a, b = ids(2)
    ra, rb = record(a, "2026-01-01T00:00:00Z"), record(b, "2026-01-01T00:00:00Z")
    path = run_file(tmp_path / "runs", "r", [ra, rb])
    real = build_module.observe

    def observe_then_edit(*args):
        real(*args)
        first, rest = path.read_bytes().split(b"\n", 1)
        other = record(SITE.public_ids[5], "2026-01-01T00:00:00Z", "短。")
        other["headline"], other["articleBodyHtml"] = "短", "<p>短。</p>"
        line = json.dumps(other, ensure_ascii=False).encode()
        assert len(line) < len(first)
        path.write_bytes(line.ljust(len(first)) + b"\n" + rest)  # another valid record at the same offset

    monkeypatch.setattr(build_module, "observe", observe_then_edit)
    plan = build_module.Plan("bannedbook", [path], None, [], "jsonl", False, None, [], [], False, 64)
    building = target.start(tmp_path / "ds")
    with pytest.raises(OSError, match="changed while the export read it"):
        build_module.build(plan, building / target.SCRATCH, building)


def test_the_dataset_folder_holds_only_the_card_the_data_and_the_marker(tmp_path):
    run_file(tmp_path / "runs", "r", [record(a, "2026-01-01T00:00:00Z") for a in ids(2)])
    result, rows = exported(tmp_path, "--state", "none")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "ds").iterdir()) == [".newsspider-export", "README.md", "data"]


def test_a_killed_exports_building_folder_is_removed_by_the_next(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".ds.building-{dead.pid}"
    (stale / "scratch").mkdir(parents=True)
    (stale / ".newsspider-export").write_text("x")
    live = tmp_path / f".ds.building-{os.getpid()}"
    (live / "scratch").mkdir(parents=True)
    (live / ".newsspider-export").write_text("x")
    run_file(tmp_path / "runs", "r", [record(a, "2026-01-01T00:00:00Z") for a in ids(2)])
    result, rows = exported(tmp_path, "--state", "none")
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and live.exists()


def test_at_the_same_publication_date_the_lower_id_is_first():
    site = SampleSite(articles=40)
    first = site.expected_record(site.public_ids[0], "http://h")
    copies = [{**first, "articleId": i, "datePublished": "2030-01-01"} for i in ("5", "6", "10")]
    bb = "www.bannedbook.org"
    assert mark_duplicates(copies) == {(bb, "6"): (bb, "5"), (bb, "10"): (bb, "5")}


def test_parquet_row_groups_hold_5000_rows(tmp_path: Path) -> None:
    base = record(SITE.public_ids[0], "2026-01-01T00:00:00Z")
    rows = []
    for n in range(5001):
        copy = json.loads(json.dumps(base))
        copy["articleId"] = str(1_000_000 + n)
        rows.append(copy)
    run_file(tmp_path / "runs", "r", rows)
    result = export("--input", str(tmp_path / "runs"), "--state", "none", "--no-duplicates", "-o", str(tmp_path / "ds"))
    assert result.returncode == 0, result.stderr
    (shard,) = (tmp_path / "ds" / "data").glob("*.parquet")
    metadata = pq.ParquetFile(shard).metadata
    assert [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)] == [5000, 1]


def test_a_copy_of_two_first_articles_names_the_earlier_published() -> None:
    rng = random.Random(11)
    x, y, z = ("".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(200)) for _ in range(3))
    first = record(SITE.public_ids[0], "2026-01-01T00:00:00Z")

    def article(article_id: str, body: str, published: str) -> dict:
        return {**first, "articleId": article_id, "headline": "", "articleBody": body, "datePublished": published}

    # a and b share a third of their text (two stories); c repeats both, more than half of each.
    a, b, c = (
        article("7", x + y, "2024-01-01"),
        article("5", y + z, "2024-01-02"),
        article("6", x + y + z, "2024-01-03"),
    )
    assert mark_duplicates([a, b, c]) == {("www.bannedbook.org", "6"): ("www.bannedbook.org", "7")}


def test_the_snapshot_is_synced_before_it_takes_the_datasets_name(tmp_path: Path, monkeypatch) -> None:
    building = target.start(tmp_path / "ds")
    (building / "data").mkdir()
    (building / "data" / "train.jsonl").write_text("{}\n", "utf-8")
    events: list[str] = []
    real_fsync, real_rename = os.fsync, Path.rename
    monkeypatch.setattr(
        target.os, "fsync", lambda fd: events.append(os.readlink(f"/proc/self/fd/{fd}")) or real_fsync(fd)
    )
    monkeypatch.setattr(Path, "rename", lambda self, to: events.append("rename") or real_rename(self, to))
    target.commit(building, tmp_path / "ds")
    renamed = events.index("rename")
    assert any(e.endswith("train.jsonl") for e in events[:renamed]) and any(
        e.endswith(building.name) for e in events[:renamed]
    )
    assert events[renamed + 1 :] == [str(tmp_path)]  # and the folder that holds the new name
