"""``python -m newsspider extract``: records from saved pages (.html, .html.gz, WARC), the site chosen
from the page, decoded as the crawl decodes, with clear outcomes for what gives no record."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import FIXTURES, PROJECT, subprocess_env

CORPUS = PROJECT.parent / "shared" / "corpus" / "rfi"
ARTICLE = CORPUS / "article-t-dome-20251130.html"
RFI = json.loads((FIXTURES / "rfi" / "article-t-dome-20251130.expected.json").read_text("utf-8"))
FRAGMENT = json.loads((FIXTURES / "article-fragment.expected.json").read_text("utf-8"))
FRAGMENT_URL = "https://www.bannedbook.org/bnews/worldnews/20240621/2052600.html"


def extract(*args: str | Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    result = subprocess.run(
        [sys.executable, "-m", "newsspider", "extract", *map(str, args)],
        cwd=PROJECT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, [json.loads(line) for line in result.stdout.splitlines()]


def test_a_saved_page_is_read_by_the_site_its_canonical_names() -> None:
    result, (record,) = extract(ARTICLE)
    assert result.returncode == 0, result.stderr
    assert record["extraction"] == "site" and record["site"] == "www.rfi.fr"
    assert record["articleId"] == RFI["articleId"] and record["headline"] == RFI["headline"]
    assert record["articleBody"].split("\n") == RFI["articleBodyLines"]
    assert "1 record(s) from 1 page(s) (records/site 1)" in result.stderr


def test_generic_forces_the_generic_reading() -> None:
    result, (record,) = extract("--generic", ARTICLE)
    assert result.returncode == 0, result.stderr
    assert record["extraction"] == "generic" and record["headline"] == RFI["headline"]
    assert record["datePublished"] == RFI["datePublished"]
    assert set(RFI["articleBodyLines"][2:]) <= set(record["articleBody"].split("\n"))  # the body's paragraphs


def test_a_gbk_page_without_a_charset_header_decodes_right(tmp_path: Path) -> None:
    page = (FIXTURES / "article-fragment.html").read_text("utf-8")
    page = page.replace('<meta charset="utf-8">', "").replace("<head>", '<head><meta charset="gb2312">', 1)
    if 'charset="gb2312"' not in page:  # a fragment without a head: the meta goes first
        page = '<meta charset="gb2312">' + page
    saved = tmp_path / "page.html.gz"
    # GB18030 holds the page's emoji too; pages labelled gb2312 are decoded as its superset, as browsers do.
    saved.write_bytes(gzip.compress(page.encode("gb18030")))
    result, (record,) = extract(saved, "--url", FRAGMENT_URL)
    assert result.returncode == 0, result.stderr
    assert record["headline"] == FRAGMENT["headline"]
    assert record["articleBody"].split("\n") == FRAGMENT["articleBody"]


def _warc(path: Path, url: str, body: bytes, content_type: str) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))


def test_a_warc_file_gives_a_record_per_article_page(tmp_path: Path) -> None:
    warc = tmp_path / "pages.warc.gz"
    _warc(warc, RFI["url"], ARTICLE.read_bytes(), "text/html; charset=utf-8")
    result, on_stdout = extract(warc, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 0 and on_stdout == [], result.stderr
    (written,) = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert written["articleId"] == RFI["articleId"] and written["extraction"] == "site"


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (["/no/such/page.html"], 2, "newsspider extract: error: no such file"),
        (["--site", "nosuchsite", "x.html"], 2, "newsspider extract: error:"),
        ([FIXTURES / "article-fragment.html"], 3, "give --url"),  # no URL on the page, none given
        # A listing is no article by the site's URL rule, as in a crawl; read generically it holds none either.
        ([CORPUS / "front-page-20251130.html"], 3, "no record (not_article_url"),
        ([CORPUS.parent / "listing-tag-2020.html"], 3, "no record (not_article_url"),
        (["--generic", CORPUS / "front-page-20251130.html"], 3, "no record (no_article"),
        ([CORPUS], 2, f"newsspider extract: error: {CORPUS}: a folder"),
        ([ARTICLE, "-o", "/proc/none/out.jsonl"], 3, "newsspider extract: error: -o /proc/none/out.jsonl: cannot be"),
        ([ARTICLE, "-s", 'NEWSSPIDER_SITE_SELECTORS={"nope": 1}'], 2, "NEWSSPIDER_SITE_SELECTORS"),
    ],
)
def test_what_gives_no_record_says_why(args: list, status: int, says: str) -> None:
    result, records = extract(*args)
    assert result.returncode == status, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert records == []


def test_the_output_folder_is_made_as_a_crawls_is(tmp_path: Path) -> None:
    result, _ = extract(ARTICLE, "-o", tmp_path / "new" / "folder" / "out.jsonl")
    assert result.returncode == 0, result.stderr
    (written,) = [
        json.loads(line) for line in (tmp_path / "new" / "folder" / "out.jsonl").read_text("utf-8").splitlines()
    ]
    assert written["articleId"] == RFI["articleId"]
