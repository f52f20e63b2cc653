"""A real Scrapyd on 127.0.0.1: deploy with scrapyd-deploy, schedule, poll, read the records."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PROJECT, only_site, subprocess_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path):
    port = free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    dirs = {name: home / name for name in ("eggs", "logs", "items", "dbs")}
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\npoll_interval = 0.5\nmax_proc = 2\n"
        + "".join(f"{name}_dir = {path}\n" for name, path in dirs.items()),
        "utf-8",
    )
    executable = Path(sys.executable).with_name("scrapyd")
    process = subprocess.Popen(
        [str(executable)], cwd=home, env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            call(f"{url}/daemonstatus.json")
            break
        except OSError:
            assert process.poll() is None, "scrapyd exited at start"
            assert time.monotonic() < deadline, "scrapyd did not answer within a minute"
            time.sleep(0.2)
    yield url, dirs
    process.terminate()
    process.wait(timeout=30)


@only_site("bannedbook")  # deployment is one for the project: one site's job shows it
def test_deploy_schedule_and_collect_records(scrapyd, sample_server, tmp_path):
    url, dirs = scrapyd
    # A deploy target of the user's own, the way ~/.config/scrapy.cfg adds one.
    config_home = tmp_path / "config"
    config_home.mkdir()
    (config_home / "scrapy.cfg").write_text(f"[deploy:ci]\nurl = {url}/\nproject = newsspider\n", "utf-8")
    # Deploy from a copy, so that building the egg leaves no build/ folder in the work tree.
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns(".venv", ".git", "output", "state", "*.pyc"))
    deploy = subprocess.run(
        [str(Path(sys.executable).with_name("scrapyd-deploy")), "ci"],
        cwd=project,
        env={**subprocess_env(), "XDG_CONFIG_HOME": str(config_home)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert call(f"{url}/listspiders.json?project=newsspider")["spiders"] == ["bannedbook", "news", "rfi"]

    site = sample_server.model()
    settings = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "NEWSSPIDER_STATE_ENABLED": "False"}
    job = call(
        f"{url}/schedule.json",
        [
            ("project", "newsspider"),
            ("spider", "bannedbook"),
            ("start_urls", ",".join(site.start_urls(sample_server.base_url))),
        ]
        + [("setting", f"{k}={v}") for k, v in settings.items()],
    )
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 300
    while True:
        jobs = call(f"{url}/listjobs.json?project=newsspider")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)

    (items,) = (dirs["items"] / "newsspider" / "bannedbook").glob(f"{job['jobid']}.jl")
    records = [json.loads(line) for line in items.read_text("utf-8").splitlines()]
    assert sorted(r["articleId"] for r in records) == sorted(site.public_ids)
    report = json.loads(items.with_name(f"{job['jobid']}.report.json").read_text("utf-8"))
    assert report["verdict"] == "ok" and report["job"] == job["jobid"]
    log = next((dirs["logs"] / "newsspider" / "bannedbook").glob(f"{job['jobid']}.log")).read_text("utf-8")
    assert "Traceback" not in log
