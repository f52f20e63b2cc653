"""Scrapy's own commands on the project: `scrapy parse` reads each kind of page with the right
callback, and parse, shell, fetch, check and list write nothing (no output, archive, report or state)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsspider.samplesite.generator import SampleSite
from tests.conftest import LOOPBACK_SETTINGS, PROJECT, only_site, subprocess_env

LOOPBACK = [arg for name, value in LOOPBACK_SETTINGS.items() for arg in ("-s", f"{name}={value}")]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project to run the commands in, so that anything they write is seen."""
    copy = tmp_path_factory.mktemp("commands") / "project"
    caches = shutil.ignore_patterns("__pycache__", "*.pyc", ".*cache", ".hypothesis")

    def ignored(folder: str, names: list[str]) -> set[str]:
        # The project's own output and state are not copied (newsspider/state is).
        top = {".venv", ".git", "output", "state"} if Path(folder) == PROJECT else set()
        return caches(folder, names) | (top & set(names))

    shutil.copytree(PROJECT, copy, ignore=ignored)
    (copy / "output").mkdir(), (copy / "state").mkdir()
    return copy


def scrapy(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**subprocess_env(), "PYTHONPATH": str(project)}
    command = [sys.executable, "-m", "scrapy", *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=120)


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts}


def parse(project: Path, url: str, *args: str) -> tuple[str, list[str]]:
    """``scrapy parse --spider=bannedbook URL``: the items it prints, the URLs of its requests."""
    result = scrapy(project, "parse", "--spider=bannedbook", "--nocolour", url, *LOOPBACK, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr[-3000:]
    items, requests = result.stdout.split("# Requests")
    return items, re.findall(r"<GET ([^>]+)>", requests)


@pytest.fixture(scope="module")
def model(sample_server) -> SampleSite:
    return sample_server.model()


@only_site("bannedbook")  # the commands, not a site, are under test: bannedbook's page kinds (mirror, FeedBurner)
def test_parse_reads_an_article_page_on_a_mirror(project, sample_server, model):
    article = next(a for a in model.articles.values() if a.kind == "listed" and a.related)
    items, requests = parse(project, sample_server.base_url + article.path())
    assert items.count("'inLanguage':") == 1 and f"'articleId': '{article.article_id}'" in items
    related = {model.articles[related_id].path() for related_id, _ in article.related}
    assert {r.removeprefix(sample_server.base_url) for r in requests} <= related
    assert requests


@only_site("bannedbook")  # the commands, not a site, are under test: bannedbook's page kinds (mirror, FeedBurner)
@pytest.mark.parametrize(
    ("path", "finds"),
    [
        ("/bnews/worldnews/", r"/bnews/[a-z/]+/\d{8}/\d+\.html$|/page/2/$"),
        ("/bnews/worldnews/feed/", r"/bnews/[a-z/]+/\d{8}/\d+\.html$"),
        ("/post-sitemap.xml", r"/bnews/[a-z/-]+/\d{8}/\d+\.html$"),
        ("/sitemap_index.xml", r"/post-sitemap\.xml$"),
        ("/robots.txt", r"/sitemap_index\.xml$"),
    ],
    ids=["listing", "feed", "sitemap", "sitemap-index", "robots"],
)
def test_parse_reads_each_kind_of_page_with_its_callback(project, sample_server, path, finds):
    items, requests = parse(project, sample_server.base_url + path)
    assert "'inLanguage':" not in items
    assert requests and all(r.startswith(sample_server.base_url) for r in requests)
    assert all(re.search(finds, r) for r in requests), requests
    assert path != "/bnews/worldnews/" or any(r.endswith("/page/2/") for r in requests)


@only_site("bannedbook")  # the commands, not a site, are under test: bannedbook's page kinds (mirror, FeedBurner)
def test_parse_reads_a_feed_on_a_feed_host_and_lists_the_sites_articles(project, sample_server):
    # "localhost" stands for feeds.feedburner.com: another host name for the same server.
    feed = sample_server.base_url.replace("127.0.0.1", "localhost") + "/feedburner/bnews/headline"
    feed_host = ["-s", "NEWSSPIDER_FEED_HOSTS=localhost", "-s", f"NEWSSPIDER_SITE_URL={sample_server.base_url}"]
    _, requests = parse(project, feed, *feed_host)
    assert requests and all(re.fullmatch(re.escape(sample_server.base_url) + r"/bnews/.+\.html", r) for r in requests)


@only_site("bannedbook")  # the commands, not a site, are under test: bannedbook's page kinds (mirror, FeedBurner)
def test_inspecting_commands_write_nothing(project, sample_server, model, monkeypatch):
    monkeypatch.setenv("BROWSER", "true")  # view "opens" the page with a command that does nothing
    article = sample_server.base_url + next(a for a in model.articles.values() if a.kind == "listed").path()
    before = files(project)
    commands = [
        ["parse", "--spider=bannedbook", article],
        ["shell", article, "-c", "response.status"],
        ["shell", "--spider=bannedbook", article, "-c", "response.status"],
        ["fetch", "--nolog", article],
        ["fetch", "--nolog", "--spider=bannedbook", article],
        ["view", "--nolog", "--spider=bannedbook", article],
        ["check"],
        ["list"],
    ]
    for command in commands:
        result = scrapy(project, *command, *LOOPBACK)
        assert result.returncode == 0, (command, result.stderr[-3000:])
        assert files(project) == before, (command, sorted(files(project) - before))


def test_scrapy_list_shows_a_spider_per_site_file_and_news() -> None:
    from newsspider import sites

    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    # A spider per site file, and news for the sites that have none.
    assert result.stdout.split() == sorted([*sites.names(), "news"]) == ["bannedbook", "news", "rfi"]


def test_help_lists_the_commands_and_each_explains_its_options() -> None:
    from newsspider.__main__ import COMMANDS

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "newsspider", *args]
        return subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=60)

    listed = run("--help")
    assert listed.returncode == 0 and all(f"  {name} " in listed.stdout for name in COMMANDS)
    for name in COMMANDS:
        own = run(name, "--help")
        assert own.returncode == 0 and "usage:" in own.stdout and "-h, --help" in own.stdout, (name, own.stderr)
        assert "``" not in own.stdout and ":class:" not in own.stdout, name  # plain text, not the docstring's markup
        # Every option says what it is for.
        lines = own.stdout.splitlines()
        bare = [
            line
            for n, line in enumerate(lines)
            if re.fullmatch(r"  (-\w, )?--[\w-]+( [A-Z_=]+)?", line)
            and not (n + 1 < len(lines) and re.match(r" {10,}\S", lines[n + 1]))  # its help on the next line
        ]
        assert bare == [], (name, bare)
    for args, said in (([], "no command given"), (["nope"], "unknown command 'nope'")):
        result = run(*args)
        assert result.returncode == 2 and result.stderr.startswith(f"newsspider: error: {said}; commands: demo, ")
        assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["demo", "--articles", "0"], "argument --articles: expected a whole number >= 8, got '0'"),
        (["demo", "--output", "/proc/none"], "--output /proc/none: cannot be written"),
        (["demo", "--seed", "x"], "argument --seed: invalid int value: 'x'"),
        (["serve", "--articles", "3"], "argument --articles: expected a whole number >= 8"),
        (["cluster", "--workers", "0"], "argument --workers: expected a whole number >= 1"),
        (
            ["export", "--spider", "nope"],
            "--spider nope: no such spider (bannedbook, rfi, news) and no folder output/nope",
        ),
        (["export", "--since", "2024-13-01"], "argument --since: expected YYYY-MM-DD, got '2024-13-01'"),
    ],
)
def test_a_bad_argument_to_a_command_is_one_line_naming_it(args: list[str], said: str) -> None:
    command = [sys.executable, "-m", "newsspider", *args]
    result = subprocess.run(command, cwd=PROJECT, env=subprocess_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"newsspider {args[0]}: error: {said}"), line
