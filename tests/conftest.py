"""Shared fixtures: paths relative to this file, a sample-site server in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from newsspider import settings as project_settings
from newsspider.spiders.bannedbook import BannedbookSpider

# CI replays the same fuzz cases every run (a failure there reproduces); locally they vary.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
PROJECT = TESTS.parent


def html_response(name: str, url: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=(FIXTURES / name).read_bytes(), encoding="utf-8")


def project_crawler(spider: type = BannedbookSpider, **overrides):
    """A crawler carrying the project's own settings and its spider's site's (pipelines, strip
    selectors); the crawl state is off unless asked for, so that no test opens the project's own
    state file."""
    values = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
    values["NEWSSPIDER_STATE_ENABLED"] = False
    values.update(overrides)
    crawler = get_crawler(spider, values)
    crawler.stats.open_spider()
    return crawler


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT), str(TESTS), env.get("PYTHONPATH", "")])
    return env


# The sites the sample site serves and the crawl suites run for, each with its spider of that name.
SITES = ("bannedbook", "rfi")

# Articles of the small sample site: enough for every path the run tests take, quick to crawl.
SMALL_SITE = 40

# The sample site is on loopback: no politeness delays needed.
LOOPBACK_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 16}


def crawl_command(
    start_urls: list[str], settings: dict, output: Path | None = None, *args: str, spider: str = "bannedbook"
) -> list[str]:
    """``scrapy crawl <spider>`` as a user types it, with ``-s`` for each setting."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", "start_urls=" + ",".join(start_urls)]
    if output is not None:
        command += ["-O", str(output)]
    settings = {**LOOPBACK_SETTINGS, **settings}
    if "DOWNLOADER_MIDDLEWARES" in settings:
        # -s replaces the whole dict: keep the project's middlewares beside the test's own.
        settings["DOWNLOADER_MIDDLEWARES"] = json.dumps(
            {**project_settings.DOWNLOADER_MIDDLEWARES, **settings["DOWNLOADER_MIDDLEWARES"]}
        )
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command + list(args)


class SampleServerProcess:
    """``python -m newsspider serve`` on a free loopback port, with a request log."""

    def __init__(
        self,
        log: Path,
        articles: int = 320,
        seed: int = 2024,
        variant: str = "real",
        site: str = "bannedbook",
        **extra: object,
    ):
        self.log = log
        self.articles = articles
        self.seed = seed
        self.site = site  # the site imitated, and the name of the spider that crawls it
        self.sitemap_size = extra.get("sitemap_size")
        options = {"--port": 0, "--log": log, "--articles": articles, "--seed": seed, "--variant": variant}
        options["--site"] = site
        options.update({f"--{name.replace('_', '-')}": value for name, value in extra.items()})
        command = [sys.executable, "-m", "newsspider", "serve"]
        for option, value in options.items():
            command += [option] if value is True else [option, str(value)]
        self.process = subprocess.Popen(command, cwd=PROJECT, env=subprocess_env(), stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("serving "):
            self.process.kill()
            raise RuntimeError(f"sample server did not start: {line!r}")
        self.base_url = line.split(" ", 1)[1]

    def model(self):
        """The site it serves, as the generator knows it (the expected records)."""
        from newsspider.samplesite.generator import SITEMAP_SIZE, SampleSite

        sitemap_size = int(self.sitemap_size or SITEMAP_SIZE)
        return SampleSite(seed=self.seed, articles=self.articles, site=self.site, sitemap_size=sitemap_size)

    def requested_paths(self) -> list[str]:
        return self.log.read_text("utf-8").splitlines() if self.log.exists() else []

    def admin(
        self, action: str, count: int, day: str | None = None, ids: list[str] | None = None, at: str | None = None
    ) -> list[str]:
        """Publish (dated ``day``, YYYY-MM-DD, when given) or edit (these ``ids`` when given, at
        ``at``, an ISO time, when given) articles between crawls; the ids changed."""
        query = (
            f"count={count}"
            + (f"&date={day}" if day else "")
            + (f"&ids={urllib.parse.quote(','.join(ids))}" if ids else "")
        )
        query += f"&at={urllib.parse.quote(at)}" if at else ""
        request = urllib.request.Request(f"{self.base_url}/__admin/{action}?{query}", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["ids"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session", params=SITES)
def site(request: pytest.FixtureRequest) -> str:
    """The site a run test crawls: every test using the sample-site fixtures runs for each
    (pin one with :func:`only_site`)."""
    return request.param


def only_site(name: str) -> pytest.MarkDecorator:
    """Runs a test for one site only: say why beside it (what only that site has)."""
    return pytest.mark.parametrize("site", [name], indirect=True)


@pytest.fixture(scope="session")
def sample_server(site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleServerProcess]:
    server = SampleServerProcess(tmp_path_factory.mktemp(f"sample-{site}") / "requests.log", site=site)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def small(site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleServerProcess]:
    """A small sample site for the run tests of one test file."""
    server = SampleServerProcess(
        tmp_path_factory.mktemp(f"small-{site}") / "requests.log", articles=SMALL_SITE, site=site
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def small_site(small: SampleServerProcess):
    return small.model()


_RELIABILITY_FIGURES: dict = {}
# Tests write only under their temporary folders: a file a run leaves in the work tree fails the run.
CACHES = frozenset({"__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache"})
_TREE: dict[str, set[str] | list[str]] = {}


def files_outside_git(folder: Path) -> set[str] | None:
    """Untracked and ignored files of the work tree (caches and .venv aside), as ``git status`` lists
    them one by one; ``None`` outside a git checkout."""
    command = ["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "--", ".", ":!.venv"]
    try:
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)
    except OSError:
        return None
    if result.returncode != 0:
        return None
    lines = [line for line in result.stdout.splitlines() if line[:2] in ("??", "!!")]
    # git lists no empty folder: a run's output or state folder made and left empty is one too.
    empty = {
        f"{Path(root).relative_to(folder)}/"
        for base in ("output", "state")
        for root, dirs, files in os.walk(folder / base)
        if not dirs and not files
    }
    return {line[3:] for line in lines if not CACHES & set(Path(line[3:]).parts)} | empty


def pytest_sessionstart(session) -> None:
    before = None if hasattr(session.config, "workerinput") else files_outside_git(PROJECT)
    if before is not None:
        _TREE["before"] = before


@pytest.fixture(scope="session")
def reliability_figures() -> dict:
    """Figures of the fault matrix and the fuzzing, printed at the end of the run."""
    return _RELIABILITY_FIGURES


def pytest_sessionfinish(session) -> None:
    # Under pytest-xdist the figures are gathered in the workers: hand them to the controller.
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["reliability_figures"] = json.dumps(_RELIABILITY_FIGURES)
    if "before" in _TREE:
        _TREE["left"] = sorted((files_outside_git(PROJECT) or set()) - _TREE["before"])
        if _TREE["left"]:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_testnodedown(node, error) -> None:
    _RELIABILITY_FIGURES.update(json.loads(getattr(node, "workeroutput", {}).get("reliability_figures", "{}")))


def pytest_terminal_summary(terminalreporter) -> None:
    if _TREE.get("left"):
        terminalreporter.section("files the tests left in the work tree (write them under tmp_path)", red=True)
        for path in _TREE["left"]:
            terminalreporter.write_line(path)
    if _RELIABILITY_FIGURES:
        terminalreporter.section("reliability figures")
        for name, value in _RELIABILITY_FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")


@pytest.fixture(scope="module")
def postgres():
    """A real PostgreSQL server of the test module's own (tests/servers.py)."""
    from tests.servers import PostgresServer

    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def redis_server(tmp_path: Path):
    """A real redis-server of the test's own, with a password and no persistence."""
    from tests.servers import RedisServer

    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    yield server
    server.stop()


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 256 KB filesystem (tmpfs), unmounted after the test; root is needed to mount it."""
    folder = tmp_path / "disk"
    folder.mkdir()
    problem = "mounting a tmpfs needs root" if os.geteuid() != 0 else None
    if problem is None:
        mount = ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)]
        result = subprocess.run(mount, capture_output=True, text=True)
        problem = f"mount failed: {result.stderr.strip()}" if result.returncode else None
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}, and CI runs as root")  # a green CI never hides a skipped test
        pytest.skip(problem)
    yield folder
    subprocess.run(["umount", str(folder)], check=True)
