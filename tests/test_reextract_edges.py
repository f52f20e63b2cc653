"""Re-extraction's damage and fetch rules at their edges (from a mutation audit)."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsspider.archive.reader import Located, index, response_at
from newsspider.archive.warc import WarcArchive
from tests import test_reextract
from tests.conftest import only_site
from tests.test_reextract import article_members, damage, edited, newer_fetches, records, reextract

crawled = test_reextract.crawled  # the same module fixture: one crawl of the sample site
# These rules read WARC members and fetch dates, whatever page they hold: one site's archive shows them.
pytestmark = only_site("bannedbook")


def test_a_newer_non_200_fetch_is_never_the_record(crawled, tmp_path: Path) -> None:
    article_id = sorted(crawled["records"])[0]
    url = crawled["records"][article_id]["url"]
    page = next(response_at(f) for f in index(crawled["warc"]) if isinstance(f, Located) and f.url == url)
    body = page.body.replace(crawled["records"][article_id]["headline"].encode(), "错误页".encode())
    folder = newer_fetches(crawled, tmp_path, {})
    later = WarcArchive(folder, "LATER", rotate_bytes=10**9, info={"software": "test"})
    later.write_exchange(
        url,
        "GET",
        [],
        b"",
        404,
        "HTTP/1.1",
        [("Content-Type", "text/html; charset=utf-8")],
        body,
        when=datetime.now(UTC) + timedelta(days=1),
    )
    later.close()
    result = reextract(folder, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 0, result.stderr
    assert records(tmp_path / "out.jsonl")[article_id]["headline"] == crawled["records"][article_id]["headline"]


def test_a_failed_reextraction_says_failed_in_its_report(crawled, tmp_path: Path) -> None:
    data, _ = damage(crawled["warc"].read_bytes(), crawled["urls"], "digest_mismatch")
    warc = tmp_path / "damaged.warc.gz"
    warc.write_bytes(data)
    result = reextract(warc, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 3
    report = json.loads((tmp_path / "out.report.json").read_text("utf-8"))
    assert report["verdict"] == "failed" and report["alarms"]


def test_resync_skips_a_gzip_header_whose_member_is_no_warc_record(crawled, tmp_path: Path) -> None:
    whole = crawled["warc"].read_bytes()
    pages = article_members(whole, crawled["urls"])
    start, end, _, lost = pages[len(pages) // 2]
    middle = (start + end) // 2
    fake = gzip.compress(b"just some bytes, no WARC record")
    data = whole[:middle] + bytes(40) + fake + whole[middle + 40 + len(fake) :]
    warc = tmp_path / "damaged.warc.gz"
    warc.write_bytes(data)
    result = reextract(warc, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 3, result.stderr
    assert "damaged members: {'corrupt_member': 1}" in result.stderr, result.stderr


def test_a_damaged_fetch_of_unknown_date_may_be_the_newest(crawled, tmp_path: Path) -> None:
    whole = crawled["warc"].read_bytes()
    start, end, inner, article_id = article_members(whole, crawled["urls"])[0]
    bad = re.sub(rb"WARC-Date: \S+", b"WARC-Date: sometime", edited(inner), count=1)
    folder = tmp_path / "warc"
    folder.mkdir()
    shutil.copy(crawled["warc"], folder)
    (folder / "LATER-00000.warc.gz").write_bytes(
        whole[:start] + gzip.compress(bad)
    )  # warcinfo etc, then the damaged one
    result = reextract(folder, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 3, result.stderr
    assert "1 taken from an older fetch than their newest" in result.stderr, result.stderr


def test_a_member_too_damaged_to_tell_what_it_held_fails_the_run(crawled, tmp_path: Path) -> None:
    whole = crawled["warc"].read_bytes()
    pages = article_members(whole, crawled["urls"])
    start, end, inner, lost = pages[len(pages) // 2]
    data = whole[: start + 12] + bytes(60) + whole[start + 72 :]
    warc = tmp_path / "damaged.warc.gz"
    warc.write_bytes(data)
    result = reextract(warc, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 3, result.stderr
    assert "unreadable" in result.stderr and lost not in records(tmp_path / "out.jsonl")


def test_a_whole_member_with_an_unreadable_date_is_damage_not_a_traceback(crawled, tmp_path: Path) -> None:
    whole = crawled["warc"].read_bytes()
    start, end, inner, article_id = article_members(whole, crawled["urls"])[0]
    bad = re.sub(rb"WARC-Date: \S+", b"WARC-Date: sometime", inner, count=1)  # digests still match the block
    warc = tmp_path / "bad-date.warc.gz"
    warc.write_bytes(whole[:start] + gzip.compress(bad) + whole[end:])
    result = reextract(warc, "-o", tmp_path / "out.jsonl")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 3 and "'bad_record': 1" in result.stderr, result.stderr
    assert article_id not in records(tmp_path / "out.jsonl")
