"""The fault matrix: a real crawl of the sample site while it misbehaves in every planned way, for each site."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator

from newsspider.pipelines import load_schema
from newsspider.samplesite.faults import FAULT_KINDS, FaultPlan
from newsspider.samplesite.generator import SampleSite
from tests.conftest import PROJECT, SampleServerProcess, crawl_command, subprocess_env

FAULT_SEED = 1
# What the crawl is tuned to for the matrix: a short timeout so that "slow" bites, and short
# backoff so that the run stays quick. Coverage alarms are relaxed: pages are broken on purpose.
SETTINGS = {
    "DOWNLOAD_TIMEOUT": 2,
    "NEWSSPIDER_RETRY_BACKOFF_BASE": 0.2,
    "NEWSSPIDER_STATE_ENABLED": False,
    "NEWSSPIDER_ALARM_COVERAGE": json.dumps({"headline": 0.9, "articleBody": 0.9}),
    "NEWSSPIDER_ALARM_MAX_DROPPED_SHARE": 0.1,
    "DOWNLOADER_MIDDLEWARES": {"probe.RequestRecorder": 990},
}


@pytest.fixture(scope="module")
def matrix(site, tmp_path_factory):
    name = site
    tmp = tmp_path_factory.mktemp(f"faults-{name}")
    server = SampleServerProcess(tmp / "requests.log", faults=FAULT_SEED, fault_log=tmp / "faults.jsonl", site=name)
    try:
        site = SampleSite(seed=server.seed, articles=server.articles, site=name)
        plan = FaultPlan(site, seed=FAULT_SEED)
        settings = {**SETTINGS, "PROBE_FILE": tmp / "probe.json", "LOG_FILE": tmp / "crawl.log"}
        command = crawl_command(plan.start_urls(server.base_url), settings, tmp / "items.jsonl", spider=name)
        result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    finally:
        server.stop()
    return {
        "name": name,
        "status": result.returncode,
        "site": site,
        "plan": plan,
        "base": server.base_url,
        "records": [json.loads(line) for line in (tmp / "items.jsonl").read_text("utf-8").splitlines()],
        "report": json.loads((tmp / "items.report.json").read_text("utf-8")),
        "probe": json.loads((tmp / "probe.json").read_text("utf-8")),
        "faults": [json.loads(line) for line in (tmp / "faults.jsonl").read_text("utf-8").splitlines()],
        "log": (tmp / "crawl.log").read_text("utf-8"),
    }


def by_kind(plan: FaultPlan, kind: str) -> list[str]:
    return sorted(a for a, k in plan.by_article.items() if k == kind)


def test_crawl_finishes_cleanly(matrix):
    assert matrix["status"] == 0, matrix["report"]["alarms"]
    assert matrix["report"]["finishReason"] == "finished"
    assert "Traceback" not in matrix["log"]


def test_expected_articles_emitted_once_and_valid(matrix):
    ids = [r["articleId"] for r in matrix["records"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == matrix["plan"].expected_ids()
    validator = Draft202012Validator(load_schema())
    for record in matrix["records"]:
        assert not list(validator.iter_errors(record)), record["articleId"]


@pytest.mark.parametrize("kind", [k for k, recoverable in FAULT_KINDS.items() if recoverable])
def test_recoverable_faults_yield_the_same_record_as_a_healthy_page(matrix, kind):
    records = {r["articleId"]: r for r in matrix["records"]}
    for article_id in by_kind(matrix["plan"], kind):
        got = records[article_id]
        want = matrix["site"].expected_record(article_id, matrix["base"])
        for field in ("headline", "articleBody", "authors", "source", "editor", "tags", "description", "images"):
            assert got[field] == want[field], (kind, article_id, field)
        assert "网友评论" not in got["articleBody"]  # the second div.entry is not the article


@pytest.mark.parametrize("kind", [k for k, recoverable in FAULT_KINDS.items() if not recoverable])
def test_lost_articles_are_reported_with_their_reason(matrix, kind):
    reasons = {
        "empty_always": "missing_headline",
        "image": "not_html",
        "pdf": "not_html",
        "huge": "DownloadCancelledError",
        "gzip_bomb": "too_large",
        "redirect_loop": "redirect_loop",
        "redirect_offsite": "offsite_redirect",
        "no_headline": "missing_headline",
        "no_body": "empty_body",
        "challenge": "blocked",  # a bot challenge is never parsed as the article
    }
    plan = matrix["plan"]
    reported = {
        (plan.article_id_at(urlsplit(f["url"]).path), f["reason"]) for f in matrix["report"]["failures"]["articles"]
    }
    for article_id in by_kind(plan, kind):
        assert (article_id, reasons[kind]) in reported, (kind, article_id)


def test_retry_after_is_honoured_and_backoff_grows(matrix):
    plan = matrix["plan"]
    times: dict[str, list[float]] = {}
    for entry in matrix["faults"]:
        times.setdefault(entry["path"], []).append(entry["t"])
    for article_id in by_kind(plan, "burst503"):
        (path,) = [p for p in times if plan.article_id_at(p) == article_id]
        gaps = [b - a for a, b in zip(times[path], times[path][1:], strict=False)]
        assert len(gaps) == 2 and min(gaps) >= 0.95, gaps  # Retry-After: 1
    for article_id in by_kind(plan, "burst500"):
        (path,) = [p for p in times if plan.article_id_at(p) == article_id]
        gaps = [b - a for a, b in zip(times[path], times[path][1:], strict=False)]
        assert gaps[0] >= 0.19 and gaps[1] >= 0.39, gaps  # 0.2 s, then 0.4 s
    assert matrix["report"]["retries"]["count"] > 0


def test_no_request_leaves_the_site_and_traps_are_bounded(matrix):
    requests = matrix["probe"]["requests"]
    assert {urlsplit(u).netloc for u in requests} == {urlsplit(matrix["base"]).netloc}
    assert not any(urlsplit(u).scheme not in ("http",) for u in requests)
    trap_pages = [f for f in matrix["faults"] if f["path"].startswith(matrix["plan"].markup.trap_path)]
    assert len(trap_pages) <= 2
    assert matrix["probe"]["stats"]["newsspider/pagination/stopped_repeating"] == 1


def test_url_variants_are_fetched_once(matrix):
    plan = matrix["plan"]
    requested = Counter(urlsplit(f["path"]).path for f in matrix["faults"] if f["fault"] is None)
    for article_id in plan.variant_targets:
        path = matrix["site"].articles[article_id].path()
        assert requested[path] == 1, (article_id, requested[path])
        assert not any("utm_" in f["path"] or "fbclid" in f["path"] for f in matrix["faults"])


def test_figures(matrix, reliability_figures):
    faults = Counter(f["fault"] for f in matrix["faults"] if f["fault"])
    emitted = [r["articleId"] for r in matrix["records"]]
    figures = {
        "requests made": len(matrix["faults"]),
        "faults injected by kind": dict(sorted(faults.items())),
        "articles expected": len(matrix["plan"].expected_ids()),
        "articles emitted": len(emitted),
        "articles lost (planned)": len(matrix["site"].public_ids) - len(matrix["plan"].expected_ids()),
        "duplicates": len(emitted) - len(set(emitted)),
        "tracebacks": matrix["log"].count("Traceback"),
        "requests to other hosts": sum(
            urlsplit(u).netloc != urlsplit(matrix["base"]).netloc for u in matrix["probe"]["requests"]
        ),
    }
    reliability_figures.update({f"{matrix['name']}: {name}": value for name, value in figures.items()})
    assert set(faults) == set(FAULT_KINDS) | {"pagination_trap"}
