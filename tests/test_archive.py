"""The raw archive (WARC 1.1) of real crawls, its repair after a kill, and re-extraction from it."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsspider import SCHEMA_VERSION, __version__
from newsspider.archive.warc import OPEN_SUFFIX, WarcArchive, complete_members_end, repair
from newsspider.samplesite.generator import SampleSite
from tests.conftest import PROJECT, SMALL_SITE, SampleServerProcess, crawl_command, subprocess_env

ARCHIVED_SETTINGS = {"NEWSSPIDER_STATE_ENABLED": False}


def warc_check(*paths: Path) -> subprocess.CompletedProcess:
    """``warcio check``, warcio's own validator (digests, record structure)."""
    command = [sys.executable, "-c", "import sys; from warcio.cli import main; sys.exit(main())", "check", "-v"]
    return subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, timeout=300)


def records_of(paths: list[Path]) -> list:
    out = []
    for path in paths:
        with path.open("rb") as file:
            for record in ArchiveIterator(file):
                out.append((record.rec_type, record.rec_headers, record.http_headers, record.content_stream().read()))
    return out


def site_status(model: SampleSite, url: str) -> str:
    """The status the sample site sends for ``url``, as its model renders the page."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return str(model.render(path, f"{parts.scheme}://{parts.netloc}")[0])


def run_crawl(server: SampleServerProcess, tmp: Path, *args: str, **settings) -> tuple[int, list[dict], Path]:
    """A crawl of the first two section listings of the server's site, by that site's spider."""
    output = tmp / "items.jsonl"
    template = server.model().template
    command = crawl_command(
        [server.base_url + template.listing_path(section) for section in template.sections[:2]],
        {**ARCHIVED_SETTINGS, "LOG_FILE": tmp / "crawl.log", **settings},
        output,
        *args,
        spider=server.site,
    )
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), timeout=600)
    lines = output.read_text("utf-8").splitlines() if output.exists() else []
    return result.returncode, [json.loads(line) for line in lines], tmp / "warc"


@pytest.fixture(scope="module")
def archived(site: str, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"archived-{site}")
    server = SampleServerProcess(tmp / "requests.log", articles=SMALL_SITE, site=site)
    try:
        status, records, folder = run_crawl(server, tmp, NEWSSPIDER_ARCHIVE_ROTATE_BYTES=60_000)
        paths = server.requested_paths()
    finally:
        server.stop()
    return {
        "status": status,
        "records": records,
        "folder": folder,
        "paths": paths,
        "tmp": tmp,
        "site": site,
        "model": server.model(),
    }


def test_the_archive_is_valid_warc_and_holds_every_page_of_every_record(archived) -> None:
    assert archived["status"] == 0 and archived["records"]
    files = sorted(archived["folder"].glob("*.warc.gz"))
    report = json.loads((archived["tmp"] / "items.report.json").read_text("utf-8"))["archive"]
    assert report["files"] == len(files) and report["bytes"] == sum(f.stat().st_size for f in files)
    assert report["responses"] == len(set(archived["paths"]))
    assert len(files) > 1  # rotated by size
    assert not list(archived["folder"].glob(f"*{OPEN_SUFFIX}"))  # every file closed
    check = warc_check(*files)
    assert check.returncode == 0, check.stdout + check.stderr
    records = records_of(files)
    responses = {h.get_header("WARC-Target-URI"): (http, body) for kind, h, http, body in records if kind == "response"}
    for record in archived["records"]:
        http, body = responses[record["url"]]
        assert http.get_statuscode() == "200"
        assert record["headline"].encode("utf-8") in body
    # Every response the site sent is archived, robots.txt and 404s included, each with its request.
    assert len(responses) == len(set(archived["paths"]))
    statuses = {url: http.get_statuscode() for url, (http, _) in responses.items()}
    assert statuses == {url: site_status(archived["model"], url) for url in responses}
    if archived["site"] == "bannedbook":  # its traditional-mirror fallback first asks for a page that is not there
        assert "404" in statuses.values()
    assert any(url.endswith("/robots.txt") for url in responses)
    requests = [h for kind, h, _, _ in records if kind == "request"]
    response_ids = {h.get_header("WARC-Record-ID") for kind, h, _, _ in records if kind == "response"}
    assert len(requests) == len(responses)
    assert {h.get_header("WARC-Concurrent-To") for h in requests} == response_ids
    infos = [(h, body) for kind, h, _, body in records if kind == "warcinfo"]
    assert len(infos) == len(files)
    assert f"software: newsspider/{__version__} (schema {SCHEMA_VERSION}; Scrapy ".encode() in infos[0][1]
    assert b"NEWSSPIDER_ARCHIVE_ROTATE_BYTES" in infos[0][1]
    for kind, h, _, _ in records:
        if kind == "response":
            assert h.get_header("WARC-Payload-Digest") and h.get_header("WARC-Block-Digest")
            assert h.get_header("WARC-Date").endswith("Z") and "." in h.get_header("WARC-Date")


def test_reextraction_gives_the_crawls_own_records_field_by_field(archived, tmp_path: Path) -> None:
    out = tmp_path / "again.jsonl"
    folder = str(archived["folder"])
    command = [
        sys.executable,
        "-m",
        "newsspider",
        "reextract",
        folder,
        "--spider",
        archived["site"],
        "-o",
        str(out),
        "--jobs",
        "2",
    ]
    result = subprocess.run(command, cwd=tmp_path, env=subprocess_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"{len(archived['records'])} records" in result.stderr
    again = {r["articleId"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}
    assert set(again) == {r["articleId"] for r in archived["records"]}
    for record in archived["records"]:
        twin = again[record["articleId"]]
        for field in record:  # dateDownloaded included: the crawl's is its page's WARC-Date too
            assert twin[field] == record[field], (record["articleId"], field)
    # The output is deterministic: the same archive gives the same bytes.
    out2 = tmp_path / "again2.jsonl"
    command[command.index("-o") + 1] = str(out2)
    assert subprocess.run(command, cwd=tmp_path, env=subprocess_env(), capture_output=True, timeout=300).returncode == 0
    assert out2.read_bytes() == out.read_bytes()


def test_after_a_strip_selector_change_reextraction_alone_gives_the_new_records(archived, tmp_path: Path) -> None:
    """Promo lists kept in the body: re-extracting the old archive gives what a new crawl would."""
    change = json.dumps({"promo": []})
    out = tmp_path / "changed.jsonl"
    command = [sys.executable, "-m", "newsspider", "reextract", str(archived["folder"]), "-o", str(out)]
    command += ["--spider", archived["site"]]
    result = subprocess.run(
        [*command, "-s", f"NEWSSPIDER_STRIP_SELECTORS={change}"],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    changed = {r["articleId"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE, site=archived["site"])
    try:
        status, recrawled, _ = run_crawl(server, tmp_path, NEWSSPIDER_STRIP_SELECTORS=change)
    finally:
        server.stop()
    assert status == 0
    before = {r["articleId"]: r for r in archived["records"]}
    differ = 0
    for record in recrawled:
        twin = changed[record["articleId"]]
        assert (
            twin["articleBody"] == record["articleBody"]
            and twin["metadata"]["contentHash"] == (record["metadata"]["contentHash"])
        )
        differ += twin["articleBody"] != before[record["articleId"]]["articleBody"]
    assert differ > 0  # the change did change records


def test_a_bad_reextract_command_is_one_line_and_status_2(tmp_path: Path) -> None:
    (tmp_path / "plain.warc.gz").write_bytes(gzip.compress(b"hello"))
    (tmp_path / "empty").mkdir()
    for args in (
        [str(tmp_path / "missing.warc.gz"), "-o", str(tmp_path / "o.jsonl")],
        [str(tmp_path / "empty"), "-o", str(tmp_path / "o.jsonl")],  # a folder without WARC files
        [str(tmp_path / "empty"), "-o", str(tmp_path / "o.jsonl"), "-s", "NEWSSPIDER_NOPE=1"],
        [str(tmp_path / "plain.warc.gz"), "-o", str(tmp_path / "o.jsonl")],  # no WARC inside
        [str(tmp_path / "plain.warc.gz"), "-o", str(tmp_path)],  # a folder as output
        [str(tmp_path / "plain.warc.gz"), "-o", str(tmp_path / "o.jsonl"), "--jobs", "-3"],
        [str(tmp_path / "plain.warc.gz"), "-o", str(tmp_path / "o.jsonl"), "--spider", "nope"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "newsspider", "reextract", *args],
            cwd=PROJECT,
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "error" in result.stderr.strip().splitlines()[-1]


def test_a_killed_crawl_leaves_an_open_file_that_the_next_run_repairs(tmp_path: Path) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", articles=320, delay=0.01)
    try:
        output = tmp_path / "items.jsonl"
        command = crawl_command(
            [f"{server.base_url}/bnews/worldnews/"],
            {**ARCHIVED_SETTINGS, "LOG_FILE": tmp_path / "crawl.log"},
            output,
            "-a",
            "related_depth=unlimited",
        )
        process = subprocess.Popen(command, cwd=PROJECT, env=subprocess_env())
        folder = tmp_path / "warc"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            list(folder.glob(f"*{OPEN_SUFFIX}")) and output.exists() and output.read_bytes().count(b"\n") >= 20
        ):
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        (left,) = folder.glob(f"*{OPEN_SUFFIX}")
        # Tear the last member as a kill mid-write would, then start again.
        with left.open("ab") as file:
            torn = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + os.urandom(5000))
            file.write(torn[: len(torn) // 2])
        again = crawl_command(
            [f"{server.base_url}/bnews/comments/"],
            {**ARCHIVED_SETTINGS, "LOG_FILE": tmp_path / "crawl2.log"},
            tmp_path / "items2.jsonl",
            "-a",
            "max_pages=1",
            "-a",
            "related_depth=0",
        )
        assert subprocess.run(again, cwd=PROJECT, env=subprocess_env(), timeout=300).returncode == 0
    finally:
        server.stop()
    assert not list(folder.glob(f"*{OPEN_SUFFIX}"))
    files = sorted(folder.glob("*.warc.gz"))
    assert len(files) == 2
    check = warc_check(*files)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "repaired" in (tmp_path / "crawl2.log").read_text("utf-8")
    # The killed run's records all came from archived pages.
    archived = {h.get_header("WARC-Target-URI") for kind, h, _, _ in records_of(files) if kind == "response"}
    killed = [json.loads(line) for line in output.read_text("utf-8").splitlines() if line.endswith("}")]
    assert killed and all(r["url"] in archived for r in killed)


def test_a_full_disk_fails_the_run_and_leaves_only_whole_members_under_final_names(small_disk, tmp_path: Path) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE)
    try:
        status, records, _ = run_crawl(server, tmp_path, NEWSSPIDER_ARCHIVE_DIR=small_disk)
    finally:
        server.stop()
    assert status == 3
    report = json.loads((tmp_path / "items.report.json").read_text("utf-8"))
    assert [a["check"] for a in report["alarms"]] == ["archive"] and report["finishReason"] == "archive_failed"
    assert "Traceback" not in (tmp_path / "crawl.log").read_text("utf-8")
    assert not list(small_disk.glob(f"*{OPEN_SUFFIX}"))
    (left,) = small_disk.glob("*.warc.gz")
    with left.open("rb") as file:
        assert complete_members_end(file) == left.stat().st_size  # no torn member
    assert subprocess.run(["gzip", "-t", str(left)], capture_output=True).returncode == 0
    check = warc_check(left)
    assert check.returncode == 0, check.stdout + check.stderr
    # Every record came from a page the archive holds.
    archived = {h.get_header("WARC-Target-URI") for kind, h, _, _ in records_of([left]) if kind == "response"}
    assert records and all(r["url"] in archived for r in records)


def test_repair_cuts_exactly_the_torn_member(tmp_path: Path) -> None:
    members = [gzip.compress(bytes([65 + n]) * (1000 * n + 1)) for n in range(4)]
    whole = b"".join(members)
    assert complete_members_end(BytesIO(whole)) == len(whole)
    for cut in (1, len(members[0]) - 1, len(members[0]), len(whole) - 5):
        expected = max(sum(map(len, members[:k])) for k in range(5) if sum(map(len, members[:k])) <= cut)
        assert complete_members_end(BytesIO(whole[:cut]), chunk=17) == expected
    path = tmp_path / f"x.warc.gz{OPEN_SUFFIX}"
    path.write_bytes(whole[:-5])
    assert repair(path) == len(members[-1]) - 5
    assert (tmp_path / "x.warc.gz").read_bytes() == b"".join(members[:3])


def test_rotation_names_files_by_run_and_number_and_never_reuses_one(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "RUN", rotate_bytes=1, info={"software": "test"})
    for n in range(3):
        archive.write_exchange(f"http://h/{n}", "GET", [], b"", 200, "HTTP/1.1", [("Content-Type", "text/html")], b"x")
    archive.write_failure("http://h/gone", "ConnectionRefusedError: refused", when=datetime(2026, 1, 1, tzinfo=UTC))
    archive.close()
    assert [p.name for p in archive.files] == [f"RUN-{n:05d}.warc.gz" for n in range(4)]
    again = WarcArchive(tmp_path, "RUN", rotate_bytes=10**9, info={})
    again.write_failure("http://h/x", "x")
    again.close()
    assert again.files[0].name == "RUN-00004.warc.gz"
    (kind, headers, _, body), *_ = [r for r in records_of([archive.files[3]]) if r[0] == "metadata"]
    assert json.loads(body) == {"fetchError": "ConnectionRefusedError: refused"}
    assert headers.get_header("WARC-Date") == "2026-01-01T00:00:00.000000Z"
