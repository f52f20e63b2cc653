"""Dataset exports: snapshots of real crawls as Parquet and JSON Lines, loaded the ways users load
them (Hugging Face datasets, DuckDB), the dataset card, and duplicate marking."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from newsspider.exports.duplicates import mark_duplicates, precision_recall
from newsspider.exports.formats import SCHEMA
from newsspider.samplesite.duplicates import planted
from newsspider.samplesite.generator import SampleSite
from tests.conftest import LOOPBACK_SETTINGS, PROJECT, SMALL_SITE, SampleServerProcess, subprocess_env
from tests.test_scheduled import ScheduledCrawls


def valid_record(site: SampleSite, article_id: str) -> dict:
    """The generator's record of an article, with the two values a crawl adds."""
    record = {**site.expected_record(article_id, "http://h"), "articleBodyHtml": "<p>x</p>"}
    record["metadata"] = {**record["metadata"], "dateDownloaded": "2026-01-01T00:00:00Z"}
    return record


def export(*args: str, cwd: Path = PROJECT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsspider", "export", *args],
        cwd=cwd,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """A first crawl, then 2 publishes and 3 edits and a second crawl that refetches everything."""
    tmp = tmp_path_factory.mktemp("runs")
    server = SampleServerProcess(tmp / "requests.log", articles=SMALL_SITE)
    try:
        crawls = ScheduledCrawls(server, tmp, **LOOPBACK_SETTINGS)
        status, first, _ = crawls.run()
        assert status == 0
        published = server.admin("publish", 2)
        edited = server.admin("edit", 3)
        status, second, _ = crawls.run(NEWSSPIDER_REFRESH_AFTER=0)
        assert status == 0
    finally:
        server.stop()
    return {"tmp": tmp, "first": first, "second": second, "published": published, "edited": edited}


def load_with_datasets(data_dir: Path, builder: str, cache: Path):
    """datasets.load_dataset, offline, in a child process (its caches stay in ``cache``)."""
    code = (
        "import json, sys, datasets;"
        f"ds = datasets.load_dataset({builder!r}, data_dir=sys.argv[1], cache_dir=sys.argv[2])['train'];"
        "print(json.dumps({'rows': ds.num_rows, 'features': str(ds.features), 'first': ds[0]}, default=str))"
    )
    env = {**subprocess_env(), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(cache)}
    result = subprocess.run(
        [sys.executable, "-c", code, str(data_dir), str(cache)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_parquet_snapshot_has_each_article_once_in_its_latest_version_and_loads_both_ways(two_runs) -> None:
    tmp = two_runs["tmp"]
    target = tmp / "dataset"
    result = export("--input", str(tmp / "output" / "bannedbook"), "--state", "none", "-o", str(target))
    assert result.returncode == 0, result.stderr
    (shard,) = sorted((target / "data").glob("*.parquet"))
    assert shard.name == "train-00000-of-00001.parquet"
    assert pq.read_schema(shard).equals(SCHEMA)  # nested lists and structs, as the schema has them
    assert pq.ParquetFile(shard).metadata.row_group(0).column(0).compression == "ZSTD"
    rows = pq.read_table(shard).to_pylist()
    latest = {r["articleId"]: r for r in [*two_runs["first"], *two_runs["second"]]}
    for record in two_runs["second"]:
        if record["metadata"]["version"] > (latest[record["articleId"]]["metadata"]["version"]):
            latest[record["articleId"]] = record
    assert [r["articleId"] for r in rows] == sorted(latest, key=lambda a: (len(a), a))
    for row in rows:
        want = {k: v for k, v in latest[row["articleId"]].items()}
        got = {k: v for k, v in row.items() if k not in ("duplicateOf", "duplicateOfSite")}
        assert got == want, row["articleId"]
        assert (
            row["duplicateOf"] is None and row["duplicateOfSite"] is None
        )  # distinct articles are never marked, sentences shared or not
    versions = {r["articleId"]: r["metadata"]["version"] for r in rows}
    assert all(versions[a] == 2 for a in two_runs["edited"]) and all(versions[a] == 1 for a in two_runs["published"])

    loaded = load_with_datasets(target / "data", "parquet", tmp / "hf")
    assert loaded["rows"] == len(rows)
    assert "List({'name': Value('string'), 'nameRaw': Value('string')})" in loaded["features"]
    by_section = dict(
        duckdb.sql(f"SELECT section, count(*) FROM read_parquet('{target}/data/*.parquet') GROUP BY 1").fetchall()
    )
    assert sum(by_section.values()) == len(rows)
    names = duckdb.sql(f"SELECT a.name FROM read_parquet('{shard}'), unnest(authors) AS t(a) LIMIT 1").fetchall()
    assert names and isinstance(names[0][0], str)

    card = (target / "README.md").read_text("utf-8")
    assert card.startswith("---\n") and "path: data/train-*.parquet" in card
    for section, count in by_section.items():
        assert f"| {section} | {count} |" in card
    assert f"{len(rows)} rows" in card and "## License and source notes" in card
    # Every field of the records is described, those defined once for several (articleId) too.
    described = dict(re.findall(r"^\| `(\w+)` \| (.*) \|$", card, re.M))
    assert all(described.get(field) for field in rows[0]), [f for f in rows[0] if not described.get(f)]


def test_all_versions_and_filters_as_json_lines(two_runs) -> None:
    tmp = two_runs["tmp"]
    target = tmp / "all"
    args = ["--input", str(tmp / "output" / "bannedbook"), "--state", "none", "--format", "jsonl", "-o", str(target)]
    assert export(*args, "--all-versions").returncode == 0
    rows = [json.loads(line) for line in (target / "data" / "train.jsonl").read_text("utf-8").splitlines()]
    pairs = sorted((r["articleId"], r["metadata"]["version"]) for r in rows)
    emitted = sorted({(r["articleId"], r["metadata"]["version"]) for r in [*two_runs["first"], *two_runs["second"]]})
    assert pairs == emitted  # every emitted version once
    assert {(a, 1) for a in two_runs["edited"]} | {(a, 2) for a in two_runs["edited"]} <= set(pairs)
    assert load_with_datasets(target / "data", "json", tmp / "hf-json")["rows"] == len(rows)

    result = export(*args, "--section", "comments", "--language", "zh-CN", "--since", "2024-06-20")
    assert result.returncode == 0, result.stderr
    kept = [json.loads(line) for line in (target / "data" / "train.jsonl").read_text("utf-8").splitlines()]
    assert kept and all(
        r["section"] == "comments" and r["inLanguage"] == "zh-CN" and r["datePublished"][:10] >= "2024-06-20"
        for r in kept
    )
    latest = {r["articleId"] for r in rows}
    assert len(kept) == len(
        {
            r["articleId"]
            for r in rows
            if r["section"] == "comments" and r["inLanguage"] == "zh-CN" and r["datePublished"][:10] >= "2024-06-20"
        }
    )
    assert len(kept) < len(latest)


def test_the_records_table_of_a_postgresql_state_is_a_source(tmp_path: Path, postgres) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE)
    try:
        postgres.sql("postgres", "CREATE DATABASE exportsource")
        uri = postgres.url.rsplit("/", 1)[0] + "/exportsource"
        crawls = ScheduledCrawls(server, tmp_path, **LOOPBACK_SETTINGS, NEWSSPIDER_STATE_URI=uri)
        status, records, _ = crawls.run()
        assert status == 0
    finally:
        server.stop()
    empty = tmp_path / "no-files"
    empty.mkdir()
    result = export("--input", str(empty), "--state", uri, "--format", "jsonl", "-o", str(tmp_path / "ds"))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in (tmp_path / "ds" / "data" / "train.jsonl").read_text("utf-8").splitlines()]
    assert sorted(r["articleId"] for r in rows) == sorted(r["articleId"] for r in records)
    assert "records table" in (tmp_path / "ds" / "README.md").read_text("utf-8")
    assert "secret" not in (tmp_path / "ds" / "README.md").read_text("utf-8")


def test_bad_export_commands(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "README.md").write_text("my own project", "utf-8")
    site = SampleSite(articles=40)
    (tmp_path / "runs").mkdir()
    bad = site.expected_record(site.public_ids[1], "http://h")  # articleBodyHtml null: not a valid record
    lines = [json.dumps(valid_record(site, site.public_ids[0]), ensure_ascii=False), json.dumps(bad), '{"foo": 1}']
    (tmp_path / "runs" / "r.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    (tmp_path / "runs" / "r.report.json").write_text("{}", "utf-8")
    runs = ["--input", str(tmp_path / "runs"), "--state", "none"]
    for args, status in (
        ([*runs, "-o", str(tmp_path / "mine")], 2),  # a folder an export did not write is never replaced
        ([*runs, "--language", "zh-tw"], 2),
        ([*runs, "--section", "World News"], 2),
        ([*runs, "--section", "nosuch"], 1),  # nothing matches
        (["--input", str(tmp_path / "runs"), "--state", "redis://127.0.0.1/0"], 2),
        (["--since", "2024/01/01"], 2),
        (["--input", str(tmp_path / "nope")], 2),
        (["--format", "csv"], 2),
        (["--input", str(tmp_path), "--state", "none"], 1),  # nothing to export
        (["--input", str(tmp_path), "--state", "postgresql://u:secret@127.0.0.1:1/x"], 5),  # unreachable
    ):
        result = export(*args, *([] if "-o" in args else ["-o", str(tmp_path / "out")]))
        assert result.returncode == status, (args, result.stderr)
        assert "Traceback" not in result.stderr and "secret" not in result.stderr
    assert (tmp_path / "mine" / "README.md").read_text("utf-8") == "my own project"
    result = export(*runs, "-o", str(tmp_path / "out"), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert "no_article_id 1" in result.stderr and "invalid_record/" in result.stderr  # skipped, and said
    again = export(*runs, "-o", str(tmp_path / "out"))  # an earlier export's folder: replaced, parquet now
    assert again.returncode == 0 and not (tmp_path / "out" / "data" / "train.jsonl").exists()


def test_planted_duplicates_are_found_with_their_first_article() -> None:
    records, truth = planted(SampleSite(), "http://127.0.0.1", 120)
    found = mark_duplicates(records)
    precision, recall = precision_recall(found, truth)
    assert precision >= 0.98 and recall >= 0.95, (precision, recall)
    assert sum(1 for a in found if a not in truth) <= 1  # an original marked as a copy of another


def test_a_copy_of_a_copy_names_the_first_article_and_the_earliest_is_first() -> None:
    site = SampleSite(articles=40)
    first = site.expected_record(site.public_ids[0], "http://h")
    second = {**first, "articleId": "5", "datePublished": "2030-01-01"}
    third = {**first, "articleId": "6", "datePublished": "2030-01-02", "articleBody": first["articleBody"] + "\n更正"}
    earlier = {**first, "articleId": "999999999", "datePublished": "2000-01-01"}
    found = mark_duplicates([third, second, first, earlier])
    bb, earliest = "www.bannedbook.org", ("www.bannedbook.org", "999999999")
    assert found == {(bb, first["articleId"]): earliest, (bb, "5"): earliest, (bb, "6"): earliest}


def test_export_reads_past_a_torn_last_line(tmp_path: Path) -> None:
    site = SampleSite(articles=40)
    lines = [json.dumps(valid_record(site, a), ensure_ascii=False) for a in site.public_ids[:3]]
    (tmp_path / "run1.jsonl").write_text("\n".join(lines) + "\n" + lines[0][:50], "utf-8")
    (tmp_path / "run1.report.json").write_text("{}", "utf-8")  # the run ended (killed, then replayed)
    result = export("--input", str(tmp_path), "--state", "none", "--format", "jsonl", "-o", str(tmp_path / "ds"))
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "ds" / "data" / "train.jsonl").read_text("utf-8").splitlines()) == 3
    assert "torn_last_line 1" in (tmp_path / "ds" / "README.md").read_text("utf-8")
    assert os.path.exists(tmp_path / "ds" / "README.md")
