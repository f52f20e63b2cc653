"""Runs that never lose or repeat a record: real `scrapy crawl` subprocesses against the sample site,
each checking one row of the README's "Runs that never lie" table (exit status, report, what the next
run emits)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess

import pytest

from tests.conftest import PROJECT, subprocess_env
from tests.runs import Runs, ids, reachable, refused, wait_for_lines

# --- nothing lost, nothing duplicated -----------------------------------------------------------


def test_a_full_disk_fails_the_run_and_the_next_run_emits_everything(small, small_site, tmp_path):
    runs = Runs(small, tmp_path)
    result = runs.run("-O", "/dev/full:jsonl")
    assert result.returncode == 3
    report = runs.last_report()
    assert report["verdict"] == "failed" and report["finishReason"] == "output_error"
    (alarm,) = [a for a in report["alarms"] if a["check"] == "output"]
    assert "No space left on device" in alarm["message"]
    assert report["records"]["emitted"] == 0
    assert runs.emitted_in_state() == set()

    result = runs.run("-o", str(tmp_path / "good.jsonl"))
    assert result.returncode == 0
    assert sorted(ids(tmp_path / "good.jsonl")) == sorted(reachable(small_site))


def test_a_closed_pipe_fails_the_run_and_what_the_pipe_took_is_not_repeated(small, small_site, tmp_path):
    runs = Runs(small, tmp_path)
    process = runs.start("-O", "-:jsonl", CONCURRENT_REQUESTS=1)
    got = [json.loads(process.stdout.readline())["articleId"] for _ in range(3)]
    process.stdout.close()  # the reader goes away, as `| head -3` does
    assert process.wait(timeout=60) == 3
    report = runs.last_report()
    assert any(a["check"] == "output" and "Broken pipe" in a["message"] for a in report["alarms"])
    taken = runs.emitted_in_state()  # every line the pipe accepted, and only those
    assert set(got) <= taken and len(taken) == report["records"]["emitted"]

    assert runs.run("-o", str(tmp_path / "rest.jsonl")).returncode == 0
    rest = ids(tmp_path / "rest.jsonl")
    assert not set(rest) & taken
    assert sorted([*rest, *taken]) == sorted(reachable(small_site))


def test_lines_a_reader_took_from_stdout_are_not_repeated_after_a_kill(small, small_site, tmp_path):
    runs = Runs(small, tmp_path, CONCURRENT_REQUESTS=1)
    process = runs.start("-O", "-:jsonl")
    got = [json.loads(process.stdout.readline())["articleId"] for _ in range(3)]
    process.send_signal(signal.SIGKILL)  # at once, as a reader that had what it wanted
    process.wait(timeout=30)
    unread = process.stdout.read().split(b"\n")[:-1]  # lines the pipe took that nobody read (no torn one)
    process.stdout.close()
    taken = runs.emitted_in_state()
    assert taken == {*got, *(json.loads(line)["articleId"] for line in unread)}

    assert runs.run("-o", str(tmp_path / "rest.jsonl")).returncode == 0
    rest = ids(tmp_path / "rest.jsonl")
    assert not set(rest) & taken
    assert sorted([*rest, *taken]) == sorted(reachable(small_site))


def test_an_output_that_cannot_be_written_is_refused_before_any_request(small, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    before = len(small.requested_paths())
    result = Runs(small, tmp_path).run("-o", str(tmp_path / "a-file" / "out.jsonl"))
    refused(result, 2, "a-file/out.jsonl", "cannot be written")
    assert len(small.requested_paths()) == before


def test_a_state_that_cannot_be_written_stops_the_run_and_nothing_is_lost(small, small_site, tmp_path):
    runs = Runs(small, tmp_path, NEWSSPIDER_STATE_COMMIT_EVERY=3, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.05)
    first = tmp_path / "first.jsonl"
    process = runs.start("-o", str(first))
    wait_for_lines(first, 4, process)
    blocker = sqlite3.connect(runs.state, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the state: the run's next batch fails
    try:
        assert process.wait(timeout=60) == 3
    finally:
        blocker.rollback()
        blocker.close()
    report = runs.last_report()
    (alarm,) = [a for a in report["alarms"] if a["check"] == "state"]
    assert str(runs.state) in alarm["message"] and "database is locked" in alarm["message"]
    assert report["finishReason"] == "state_error"

    assert runs.run("-o", str(tmp_path / "second.jsonl")).returncode == 0
    # The failed run stayed unfinished, so the second one replayed its file first.
    emitted = ids(first) + ids(tmp_path / "second.jsonl")
    assert sorted(emitted) == sorted(reachable(small_site))


def test_an_immutable_state_is_refused_with_the_file_named(small, tmp_path):
    runs = Runs(small, tmp_path)
    assert runs.run("-o", str(tmp_path / "out.jsonl")).returncode == 0
    if subprocess.run(["chattr", "+i", str(runs.state)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available on this filesystem (the locked-state test covers the failure)")
    try:
        before = len(small.requested_paths())
        refused(runs.run("-o", str(tmp_path / "again.jsonl")), 2, str(runs.state), "readonly")
        assert len(small.requested_paths()) == before
    finally:
        subprocess.run(["chattr", "-i", str(runs.state)], check=True)


def test_overwriting_earlier_records_with_the_state_on_is_refused(small, tmp_path):
    runs = Runs(small, tmp_path)
    output = tmp_path / "world.jsonl"
    assert runs.run("-O", str(output)).returncode == 0
    kept = output.read_bytes()
    assert kept
    before = len(small.requested_paths())
    line = refused(runs.run("-O", str(output)), 2, str(output), "-o", "NEWSSPIDER_STATE_ENABLED=False")
    assert "new file" in line
    assert output.read_bytes() == kept and len(small.requested_paths()) == before
    # With the state off, -O is a full export and replaces the file, as in any Scrapy project.
    assert runs.run("-O", str(output), NEWSSPIDER_STATE_ENABLED=False).returncode == 0


def test_a_killed_run_then_an_append_keeps_valid_json_lines_and_every_article_once(small, small_site, tmp_path):
    runs = Runs(small, tmp_path, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.05)
    output = tmp_path / "out.jsonl"
    process = runs.start("-o", str(output))
    wait_for_lines(output, 5, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    # A kill mid-write leaves half a line; cut the last line to be sure this run ends in one.
    data = output.read_bytes()
    output.write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 40])
    complete = data[: data.rstrip(b"\n").rfind(b"\n") + 1].count(b"\n")

    refused(runs.run("-O", str(output)), 2, "-o")  # -O would destroy the killed run's records
    result = runs.run("-o", str(output))  # and the killed run's lock does not block this one
    assert result.returncode == 0, result.stderr[-2000:]
    emitted = ids(output)  # every line a complete record: the fragment was not glued to
    assert sorted(emitted) == sorted(reachable(small_site))
    assert (tmp_path / "out.jsonl.torn").read_bytes() == data[data.rstrip(b"\n").rfind(b"\n") + 1 :][:39]
    log = (tmp_path / "crawl.log").read_text("utf-8")
    assert f"did not finish; {complete} records replayed" in log


def test_a_jobdir_run_killed_then_resumed_emits_every_article_once(sample_server, tmp_path):
    site = sample_server.model()
    job = tmp_path / "job"
    runs = Runs(sample_server, tmp_path, JOBDIR=job, CONCURRENT_REQUESTS=2, DOWNLOAD_DELAY=0.02)
    starts = site.start_urls(sample_server.base_url)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    process = runs.start("-o", str(first), start_urls=starts)
    wait_for_lines(first, 60, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    # Scrapy's duplicate filter kept what the killed run asked for; the queue of what it had not fetched is gone.
    assert (job / "requests.seen").stat().st_size > 0

    result = runs.run("-o", str(second), start_urls=starts)
    assert result.returncode == 0, result.stderr[-2000:]
    assert runs.last_report()["verdict"] == "ok"
    assert sorted(ids(first) + ids(second)) == sorted(site.public_ids)  # every article exactly once
    assert "was left by a run that did not close" in (tmp_path / "crawl.log").read_text("utf-8")


def test_a_jobdir_run_stopped_by_a_failed_output_is_started_again(small, small_site, tmp_path):
    runs = Runs(small, tmp_path, JOBDIR=tmp_path / "job")
    assert runs.run("-O", "/dev/full:jsonl").returncode == 3
    # Its queue was saved, but the records of the pages it had fetched were not written: the job starts again.
    assert runs.run("-o", str(tmp_path / "out.jsonl")).returncode == 0
    assert sorted(ids(tmp_path / "out.jsonl")) == sorted(reachable(small_site))
    assert "stopped by output_error" in (tmp_path / "crawl.log").read_text("utf-8")


def test_a_jobdir_in_use_is_refused_and_names_the_run(small, tmp_path):
    job = tmp_path / "job"
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    first = Runs(small, tmp_path / "one", JOBDIR=job, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.2)
    process = first.start("-o", str(tmp_path / "first.jsonl"))
    try:
        wait_for_lines(tmp_path / "first.jsonl", 1, process)
        second = Runs(small, tmp_path / "two", JOBDIR=job)  # its own state: only the JOBDIR is shared
        refused(second.run("-o", str(tmp_path / "second.jsonl")), 4, str(job), f"pid {process.pid}")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert (job / "requests.seen").stat().st_size > 0  # the refused run set nothing of the job aside


def test_a_second_run_on_a_state_in_use_is_refused_and_names_the_first(small, tmp_path):
    runs = Runs(small, tmp_path, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.2)
    first = runs.start("-o", str(tmp_path / "first.jsonl"))
    try:
        wait_for_lines(tmp_path / "first.jsonl", 1, first)
        line = refused(runs.run("-o", str(tmp_path / "second.jsonl")), 4, str(runs.state), f"pid {first.pid}")
        holder = json.loads(runs.state.with_name(f"state.sqlite3.{small.site}.lock").read_text())
        assert f"run {holder['run_id']}" in line and f"on {holder['host']}" in line
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
    assert not (tmp_path / "second.jsonl").exists()  # a refused run writes nothing, not even an empty file


def test_a_killed_run_writing_batches_is_replayed_from_every_batch_file(small, small_site, tmp_path):
    runs = Runs(small, tmp_path, CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.05, FEED_EXPORT_BATCH_ITEM_COUNT=4)
    process = runs.start("-o", str(tmp_path / "part-%(batch_id)d.jsonl"))
    wait_for_lines(tmp_path / "part-3.jsonl", 1, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    # A feed setting Scrapy refuses (batches without %(batch_id)d in the name) is bad input, not silence.
    refused(runs.run("-o", str(tmp_path / "rest.jsonl")), 2, "feed settings")
    assert runs.run("-o", str(tmp_path / "rest.jsonl"), FEED_EXPORT_BATCH_ITEM_COUNT=0).returncode == 0
    emitted = [i for path in sorted(tmp_path.glob("*.jsonl")) for i in ids(path)]
    assert sorted(emitted) == sorted(reachable(small_site))


def test_an_article_reached_too_deep_is_expanded_when_a_later_run_finds_it_on_a_listing(sample_server, tmp_path):
    site = sample_server.model()
    hosts: dict[str, set[str]] = {}
    for article_id, article in site.articles.items():
        for related_id, _ in article.related:
            hosts.setdefault(related_id, set()).add(article_id)

    def starts_reaching(orphan: str) -> list[str] | None:
        """Listed articles whose related lists hold every (listed) host of ``orphan`` but not it."""
        if any(site.articles[h].kind != "listed" for h in hosts[orphan]):
            return None
        starts = []
        for host in sorted(hosts[orphan]):
            candidates = [
                a
                for a in sorted(hosts.get(host, ()))
                if site.articles[a].kind == "listed"
                and a not in hosts[orphan]
                and orphan not in dict(site.articles[a].related)
            ]
            if not candidates:
                return None
            starts.append(candidates[0])
        return starts

    # O is reachable only through the related lists of its hosts, which run 1 reaches one hop from its starts.
    orphan, starts = next(
        (o, s) for o in sorted(site.articles) if site.articles[o].kind == "orphan" for s in [starts_reaching(o)] if s
    )
    runs = Runs(sample_server, tmp_path)
    # Run 1: the hosts are one hop from the start URLs, too deep to follow their lists: O is not fetched.
    start_urls = [sample_server.base_url + site.articles[a].path() for a in starts]
    first = runs.command("-o", str(tmp_path / "one.jsonl"), start_urls=start_urls)
    assert subprocess.run(first, cwd=PROJECT, env=subprocess_env(), timeout=120).returncode == 0
    assert hosts[orphan] <= set(ids(tmp_path / "one.jsonl")) and orphan not in ids(tmp_path / "one.jsonl")
    # Run 2, every listing: the hosts are held, but their related lists were never followed, so they are
    # fetched again to follow them.
    second = runs.command("-o", str(tmp_path / "two.jsonl"), start_urls=site.start_urls(sample_server.base_url))
    assert subprocess.run(second, cwd=PROJECT, env=subprocess_env(), timeout=300).returncode == 0
    emitted = ids(tmp_path / "one.jsonl") + ids(tmp_path / "two.jsonl")
    assert sorted(emitted) == sorted(site.public_ids)


def test_an_append_moves_a_torn_line_aside_even_without_the_state(small, small_site, tmp_path):
    output = tmp_path / "out.jsonl"
    output.write_bytes(b'{"articleId": "0"}\n{"articleId": "1", "head')
    runs = Runs(small, tmp_path, NEWSSPIDER_STATE_ENABLED=False)
    assert runs.run("-o", str(output)).returncode == 0
    assert ids(output)[0] == "0" and sorted(ids(output)[1:]) == sorted(reachable(small_site))
    assert (tmp_path / "out.jsonl.torn").read_bytes() == b'{"articleId": "1", "head'


GZIP_FEED = '{"%s": {"format": "jsonlines", "postprocessing": ["scrapy.extensions.postprocessing.GzipPlugin"]}}'


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-o", "{tmp}/out.json"], "cannot be read back"),
        (["-o", "ftp://127.0.0.1:1/x.jsonl"], "local files or stdout"),
        (["-s", "FEEDS=" + GZIP_FEED % "{tmp}/out.jsonl.gz"], "post-processing"),
    ],
    ids=["json", "remote", "gzip"],
)
def test_feeds_that_cannot_be_read_back_are_refused_with_the_state_on(small, tmp_path, args, words):
    before = len(small.requested_paths())
    refused(Runs(small, tmp_path).run(*[a.replace("{tmp}", str(tmp_path)) for a in args]), 2, words)
    assert len(small.requested_paths()) == before
