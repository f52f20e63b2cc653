"""Re-extraction gives only what the archive really holds: damage, the newest valid fetch, feed
times, bad input and the alarms, each on a real crawl's archive."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsspider.archive.warc import OPEN_SUFFIX, WarcArchive
from tests.conftest import PROJECT, SMALL_SITE, SampleServerProcess, crawl_command, only_site, subprocess_env
from tests.test_archive import ARCHIVED_SETTINGS, run_crawl, warc_check

TARGET = re.compile(rb"WARC-Target-URI: (\S+)\r\n")


def reextract(*args: str | Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "newsspider", "reextract", *map(str, args)]
    return subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=300)


def reextract_crawl(crawled: dict, *args: str | Path) -> subprocess.CompletedProcess:
    """``reextract`` by the spider of the crawl's site."""
    return reextract(*args, "--spider", crawled["site"])


def records(path: Path) -> dict[str, dict]:
    return {r["articleId"]: r for r in map(json.loads, path.read_text("utf-8").splitlines())}


def members(data: bytes) -> list[tuple[int, int, bytes]]:
    """Each gzip member: where it starts and ends, and what it holds."""
    found, at = [], 0
    while at < len(data):
        decompressor = zlib.decompressobj(wbits=31)
        inner = decompressor.decompress(data[at:])
        end = len(data) - len(decompressor.unused_data)
        found.append((at, end, inner))
        at = end
    return found


def article_members(data: bytes, urls: dict[str, str]) -> list[tuple[int, int, bytes, str]]:
    """The response members (status 200) of the article pages at ``urls`` (URL to article id),
    with the article id."""
    out = []
    for start, end, inner in members(data):
        match = TARGET.search(inner[:2000])
        url = match.group(1).decode() if match else None
        if b"\r\nWARC-Type: response\r\n" in inner[:2000] and b"\r\n\r\nHTTP/1.1 200 " in inner[:2000] and url in urls:
            out.append((start, end, inner, urls[url]))
    return out


def edited(inner: bytes) -> bytes:
    """The member's block with one byte of its page changed, its headers as they were."""
    changed = inner.replace(b"<title>", b"<title> ", 1)
    assert changed != inner
    return changed


@pytest.fixture(scope="module")
def crawled(site: str, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"crawled-{site}")
    server = SampleServerProcess(tmp / "requests.log", articles=SMALL_SITE, site=site)
    try:
        status, crawl_records, folder = run_crawl(server, tmp)
    finally:
        server.stop()
    assert status == 0
    (warc,) = folder.glob("*.warc.gz")
    return {
        "records": {r["articleId"]: r for r in crawl_records},
        "urls": {r["url"]: r["articleId"] for r in crawl_records},
        "warc": warc,
        "items": tmp / "items.jsonl",
        "site": site,
    }


def damage(data: bytes, urls: dict[str, str], how: str) -> tuple[bytes, str]:
    """The archive with one article page's member (of those at ``urls``) damaged ``how``; that
    article's id."""
    pages = article_members(data, urls)
    start, end, inner, article_id = pages[len(pages) // 2]
    if how == "torn_member":  # cut 65% into the member: the file ends there
        return data[: start + (end - start) * 65 // 100], article_id
    if how == "corrupt_member":  # bytes overwritten in the middle of the file
        middle = (start + end) // 2
        return data[:middle] + bytes(40) + data[middle + 40 :], article_id
    if how == "digest_mismatch":  # whole gzip, edited payload
        return data[:start] + gzip.compress(edited(inner)) + data[end:], article_id
    assert how == "length_mismatch"  # whole gzip, a block shorter than its Content-Length
    return data[:start] + gzip.compress(inner[: len(inner) // 2]) + data[end:], article_id


@pytest.mark.parametrize("how", ["torn_member", "corrupt_member", "digest_mismatch", "length_mismatch"])
def test_a_damaged_member_gives_no_record_is_reported_and_the_rest_is_read(crawled, tmp_path: Path, how) -> None:
    whole = crawled["warc"].read_bytes()
    data, lost = damage(whole, crawled["urls"], how)
    warc = tmp_path / "damaged.warc.gz"
    warc.write_bytes(data)
    if how in ("torn_member", "length_mismatch"):
        assert warc_check(warc).returncode == 0  # warcio's own check misses these
    result = reextract_crawl(crawled, warc, "-o", tmp_path / "out.jsonl", "--jobs", "2")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert f"damaged members: {{'{how}': 1}}" in result.stderr
    assert "Run failed: the archive is damaged: 1 article(s) without a record" in result.stderr
    got = records(tmp_path / "out.jsonl")
    assert lost not in got
    # Every other article the file still holds is read, those after the damage included.
    cut = len(data) if how == "torn_member" else len(whole)
    held = {aid for _, end, _, aid in article_members(whole, crawled["urls"]) if end <= cut} - {lost}
    assert got == {aid: r for aid, r in crawled["records"].items() if aid in held}
    assert how == "torn_member" or len(got) == len(crawled["records"]) - 1


def test_damage_that_costs_no_record_is_reported_and_fails_nothing(crawled, tmp_path: Path) -> None:
    data = crawled["warc"].read_bytes()
    start, end, inner = next(m for m in members(data) if b"\r\nWARC-Type: request\r\n" in m[2][:2000])
    edited = inner.replace(b"User-Agent", b"User-Agenz", 1)
    warc = tmp_path / "request-damaged.warc.gz"
    warc.write_bytes(data[:start] + gzip.compress(edited) + data[end:])
    result = reextract_crawl(crawled, warc, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 0, result.stderr
    assert "damaged members: {'digest_mismatch': 1}" in result.stderr
    assert records(tmp_path / "out.jsonl") == crawled["records"]


def newer_fetches(crawled, tmp_path: Path, pages: dict[str, tuple[str, bytes]]) -> Path:
    """A later crawl's archive, beside the first, holding newer fetches of some articles: for
    each id, a content type and a body."""
    urls = {aid: r["url"] for aid, r in crawled["records"].items()}
    folder = tmp_path / "warc"
    folder.mkdir()
    shutil.copy(crawled["warc"], folder)
    later = WarcArchive(folder, "LATER", rotate_bytes=10**9, info={"software": "test"})
    when = datetime.now(UTC) + timedelta(days=1)
    for article_id, (content_type, body) in pages.items():
        headers = [("Content-Type", content_type)]
        later.write_exchange(urls[article_id], "GET", [], b"", 200, "HTTP/1.1", headers, body, when=when)
    later.close()
    return folder


def test_the_newest_fetch_that_gives_a_valid_record_wins(crawled, tmp_path: Path) -> None:
    ids = sorted(crawled["records"])
    broken = {
        ids[0]: ("text/html; charset=utf-8", b"<html><body><div class='entry'><p>no headline</p></div></body></html>"),
        ids[1]: ("image/png", b"\x89PNG\r\n\x1a\n"),
        ids[2]: ("text/html; charset=utf-8", b""),
    }
    folder = newer_fetches(crawled, tmp_path, broken)
    result = reextract_crawl(crawled, folder, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 0, result.stderr
    assert records(tmp_path / "out.jsonl") == crawled["records"]  # each from its older, whole fetch
    assert "dropped or skipped: none" in result.stderr
    assert "from an older fetch: {'dropped/missing_headline': 2, 'skipped/not_html': 1}" in result.stderr


def test_a_damaged_newest_fetch_gives_the_older_record_and_says_so(crawled, tmp_path: Path) -> None:
    article_id = sorted(crawled["records"])[3]
    folder = newer_fetches(crawled, tmp_path, {article_id: ("text/html", os.urandom(9000))})
    (later,) = folder.glob("LATER-*.warc.gz")
    data = later.read_bytes()
    start, end, _ = members(data)[1]  # the newer fetch's response: torn
    later.write_bytes(data[: (start + end) // 2])
    result = reextract_crawl(crawled, folder, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 3, result.stderr
    assert "0 article(s) without a record, 1 taken from an older fetch than their newest" in result.stderr
    assert records(tmp_path / "out.jsonl") == crawled["records"]


def test_a_feed_started_crawl_is_reextracted_field_by_field_feed_times_included(site: str, tmp_path: Path) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE, site=site)
    model = server.model()
    try:
        command = crawl_command(
            [server.base_url + model.template.feed_path(model.template.sections[1])],
            {**ARCHIVED_SETTINGS, "LOG_FILE": tmp_path / "crawl.log"},
            tmp_path / "items.jsonl",
            "-a",
            "related_depth=0",
            spider=site,
        )
        assert subprocess.run(command, cwd=PROJECT, env=subprocess_env(), timeout=300).returncode == 0
    finally:
        server.stop()
    crawl = records(tmp_path / "items.jsonl")
    # A page that shows only its date gets the feed's time.
    assert crawl and all(crawl[a]["datePublished"] == model.expected_feed_date(a) for a in crawl)
    if site == "bannedbook":  # only its pages show a date without a time
        assert any("T" not in model.expected_record(a, server.base_url)["datePublished"] for a in crawl)
    result = reextract(tmp_path / "warc", "-o", tmp_path / "again.jsonl", "--spider", site)
    assert result.returncode == 0, result.stderr
    again = records(tmp_path / "again.jsonl")
    assert set(again) == set(crawl)
    for article_id, record in crawl.items():
        for field in record:
            assert again[article_id][field] == record[field], (article_id, field)


def refusal(result: subprocess.CompletedProcess, *words: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("newsspider reextract: error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@only_site("bannedbook")  # refused before any page is read: the site makes no difference
def test_bad_input_is_refused_in_one_line_and_destroys_nothing(crawled, tmp_path: Path) -> None:
    folder = tmp_path / "warc"
    folder.mkdir()
    warc = folder / crawled["warc"].name
    shutil.copy(crawled["warc"], warc)
    before = warc.read_bytes()
    previous = tmp_path / "previous.jsonl"
    previous.write_text('{"kept": true}\n', "utf-8")
    refusal(reextract(warc, "-o", warc), "WARC")
    refusal(reextract(folder, "-o", tmp_path / "warc" / "out.jsonl"), "inside the archive folder")
    refusal(reextract(warc, "-o", tmp_path / "new.warc.gz"), "WARC file name")
    refusal(reextract(crawled["items"], "-o", previous), "not a WARC file")
    refusal(reextract(tmp_path / "missing.warc.gz", "-o", previous), "no such file")
    refusal(reextract(warc, "-o", previous, "--jobs", "-3"), "--jobs")
    refusal(reextract(warc, "-o", previous, "--spider", "nope"), "--spider")
    refusal(reextract(warc, "-o", previous, "-s", "NEWSSPIDER_NOPE=1"), "NEWSSPIDER_NOPE")
    refusal(reextract(warc), "-o")
    assert warc.read_bytes() == before and previous.read_text("utf-8") == '{"kept": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["previous.jsonl", "warc"]  # no temporary file left
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / f"RUN-00000.warc.gz{OPEN_SUFFIX}").write_bytes(before[:5000])
    refusal(reextract(killed, "-o", previous), f"RUN-00000.warc.gz{OPEN_SUFFIX}", "still open")


@only_site("bannedbook")  # the output's write fails, whatever site the records are of
def test_a_run_that_fails_leaves_the_previous_output_as_it_was(crawled, small_disk: Path, tmp_path: Path) -> None:
    output = small_disk / "items.jsonl"
    shutil.copy(crawled["items"], output)  # 160 KB of 256: the new file does not fit beside it
    result = reextract(crawled["warc"], "-o", output)
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("newsspider reextract: error: -o ") and "No space left" in lines[-1]
    assert "Traceback" not in result.stderr
    assert output.read_bytes() == crawled["items"].read_bytes()
    assert [p.name for p in small_disk.iterdir()] == ["items.jsonl"]


def test_a_setting_that_empties_every_body_raises_the_crawls_drift_alarm(crawled, tmp_path: Path) -> None:
    everything = 'NEWSSPIDER_STRIP_SELECTORS={"ads": ["p", "div"]}'
    result = reextract_crawl(crawled, crawled["warc"], "-o", tmp_path / "out.jsonl", "-s", everything)
    assert result.returncode == 3, result.stderr
    assert "Drift alarm: articleBody coverage 0.000 is below 0.98" in result.stderr
    assert "Drift alarm: no valid record from" in result.stderr


def test_an_archive_without_article_pages_fails(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path / "warc", "RUN", rotate_bytes=10**9, info={"software": "test"})
    archive.write_exchange("http://h/bnews/worldnews/", "GET", [], b"", 200, "HTTP/1.1", [], b"<html></html>")
    archive.close()
    result = reextract(tmp_path / "warc", "-o", tmp_path / "out.jsonl")
    assert result.returncode == 3, result.stderr
    assert "Run failed: the archive holds no article page" in result.stderr


def test_extraction_hands_over_a_bounded_window_and_keeps_the_order() -> None:
    """pool.map would hand every chunk over at once: on many cores the records of fast workers pile
    up in memory behind the writer. At most ``window`` chunks are out, and results come in order."""
    from concurrent.futures import Future

    from newsspider.archive.reextract import in_order

    class Pool:
        def __init__(self) -> None:
            self.out = 0  # handed over, their result not yet taken
            self.most = 0

        def submit(self, work, item) -> Future:
            pool = self
            pool.out += 1
            pool.most = max(pool.most, pool.out)

            class Taken(Future):
                def result(self, timeout=None):
                    pool.out -= 1
                    return super().result(timeout)

            future = Taken()
            future.set_result(work(item))
            return future

    pulled = []

    def items():
        for n in range(50):
            pulled.append(n)
            yield n

    pool = Pool()
    taken = []
    for item, result in in_order(pool, lambda n: n * n, items(), 4):
        assert len(pulled) <= len(taken) + 5  # the items are read as the window moves, not all first
        taken.append((item, result))
    assert taken == [(n, n * n) for n in range(50)] and pool.most == 4
