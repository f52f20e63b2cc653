"""When the site changes under us: a theme change renamed the entry container, moved the title and
renamed the credit markup (the sample site's ``drifted-template`` variant). The crawl keeps every
article (read generically), exits 3 with the drift alarm and proposes selectors; with the proposal
applied, re-extraction of that run's archive gives the records of the undrifted site, field by field."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from newsspider.samplesite.generator import SampleSite
from tests.conftest import PROJECT, SampleServerProcess, subprocess_env
from tests.test_scheduled import EXIT_FAILED_VERDICT, ScheduledCrawls

ARTICLES = 40


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("drifted")
    server = SampleServerProcess(tmp / "requests.log", articles=ARTICLES, variant="drifted-template")
    try:
        crawls = ScheduledCrawls(server, tmp)
        status, records, report = crawls.run()
    finally:
        server.stop()
    return {
        "status": status,
        "records": records,
        "report": report,
        "crawls": crawls,
        "tmp": tmp,
        "base": server.base_url,
    }


def test_the_crawl_keeps_every_article_and_says_the_selectors_failed(drifted: dict) -> None:
    site = SampleSite(articles=ARTICLES)
    assert sorted(r["articleId"] for r in drifted["records"]) == sorted(site.public_ids)
    assert {r["extraction"] for r in drifted["records"]} == {"generic"}
    report = drifted["report"]
    assert drifted["status"] == EXIT_FAILED_VERDICT and report["verdict"] == "failed"
    alarm = next(a for a in report["alarms"] if a["check"] == "generic_share")
    assert "entry = 'section.story-text'" in alarm["message"]
    extraction = report["extraction"]
    assert extraction["generic"] == len(site.public_ids) == len(extraction["genericPages"])
    assert extraction["selectorsFailed"] == {"no_entry": len(site.public_ids)}
    assert extraction["suggestions"]["entry"] == {"selector": "section.story-text", "fits": 1.0}
    # Generic, yet the site's rules still hold: no notice, promo, ad or credit line in a body.
    for record in drifted["records"]:
        assert "翻墙" not in record["articleBody"] and "来源：" not in record["articleBody"]


def test_with_the_suggestion_applied_reextraction_equals_the_undrifted_site(drifted: dict) -> None:
    suggested = {field: s["selector"] for field, s in drifted["report"]["extraction"]["suggestions"].items()}
    out = drifted["tmp"] / "mended.jsonl"
    command = [
        *(sys.executable, "-m", "newsspider", "reextract", str(drifted["crawls"].output / "warc"), "-o", str(out)),
        *("-s", f"NEWSSPIDER_SITE_SELECTORS={json.dumps({'entry': suggested['entry']})}"),
    ]
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    mended = {r["articleId"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}
    expected = SampleSite(articles=ARTICLES).expected_records(drifted["base"])
    assert set(mended) == set(expected)
    for article_id, want in expected.items():
        got = mended[article_id]
        assert got["extraction"] == "site"
        for field in want:
            if field in ("articleBodyHtml", "metadata", "extraction"):
                continue
            assert got[field] == want[field], (article_id, field)
        assert got["metadata"]["contentHash"] == want["metadata"]["contentHash"]
