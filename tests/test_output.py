"""Durable output without a crawl: the exporter, torn-line repair, and the fsync-then-commit order."""

from __future__ import annotations

import errno
import json
import os

import pytest

from newsspider.errors import StateError
from newsspider.extensions import CrawlState
from newsspider.items import Article
from newsspider.output import DurableFeedExporter, JsonLinesExporter, OutputError, record_written, repair_torn_tail
from newsspider.spiders.bannedbook import BannedbookSpider
from newsspider.state import SqliteStateStore
from tests.conftest import project_crawler


def record(article_id: str = "1", body: str = "正文") -> Article:
    return Article(
        url=f"https://www.bannedbook.org/bnews/a/20240101/{article_id}.html",
        articleId=article_id,
        articleBody=body,
        metadata={"contentHash": "sha256:" + "a" * 64, "version": 1},
    )


def exporter(file) -> JsonLinesExporter:
    return JsonLinesExporter(file, encoding="utf-8")


def test_each_line_is_in_the_file_as_soon_as_it_is_exported(tmp_path):
    path = tmp_path / "out.jsonl"
    with path.open("ab") as file:
        out = exporter(file)
        out.export_item(record("1"))
        # Read through another handle while the file is still open: nothing waits in a buffer.
        assert path.read_bytes().count(b"\n") == 1
        out.export_item(record("2", "第二篇"))
        lines = path.read_bytes().decode("utf-8").splitlines()
    assert [json.loads(line)["articleId"] for line in lines] == ["1", "2"]
    assert "第二篇" in lines[1] and "\\u" not in lines[1]
    assert list(json.loads(lines[0])) == list(Article.__dataclass_fields__)  # key order is the record's


def test_a_failed_write_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "out.jsonl"
    with path.open("ab") as file:
        out = exporter(file)
        out.export_item(record("1"))
        before = path.read_bytes()
        real_write = os.write

        def half_then_full(fd, data):
            if len(data) > 10:
                real_write(fd, bytes(data[: len(data) // 2]))  # the disk takes half the line...
                return len(data) // 2
            raise OSError(errno.ENOSPC, "No space left on device")  # ...then is full

        monkeypatch.setattr(os, "write", half_then_full)
        with pytest.raises(OutputError, match=r"out\.jsonl: No space left on device"):
            out.export_item(record("2"))
    assert path.read_bytes() == before  # no half line for a later append to glue onto


def test_a_full_device_raises_instead_of_pretending():
    with open("/dev/full", "ab") as file, pytest.raises(OutputError, match="No space left"):
        exporter(file).export_item(record())


def test_sync_fsyncs_regular_files_only(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "fsync", synced.append)
    with (tmp_path / "out.jsonl").open("ab") as file:
        out = exporter(file)
        out.export_item(record())
        out.sync()
        assert synced == [file.fileno()]
    read, write = os.pipe()
    with os.fdopen(write, "wb") as pipe:
        exporter(pipe).sync()  # a pipe cannot be fsync'd; its lines count once the pipe took them
    os.close(read)
    assert len(synced) == 1


def test_torn_last_line_is_moved_aside(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3, "b"')
    aside = repair_torn_tail(path)
    assert path.read_bytes() == b'{"a": 1}\n{"a": 2}\n'
    assert aside == tmp_path / "out.jsonl.torn" and aside.read_bytes() == b'{"a": 3, "b"'
    path.write_bytes(path.read_bytes() + b"x" * 200_000)  # a second torn line, longer than one read
    assert repair_torn_tail(path) == tmp_path / "out.jsonl.torn.1"
    assert path.read_bytes() == b'{"a": 1}\n{"a": 2}\n'
    assert (tmp_path / "out.jsonl.torn.1").read_bytes() == b"x" * 200_000


@pytest.mark.parametrize(("data", "left"), [(b"", b""), (b'{"a": 1}\n', b'{"a": 1}\n'), (b'{"a"', b"")])
def test_torn_tail_edge_cases(tmp_path, data, left):
    path = tmp_path / "out.jsonl"
    path.write_bytes(data)
    moved = repair_torn_tail(path)
    assert path.read_bytes() == left
    assert (moved is None) == (data == left)


def crawl_state(tmp_path) -> CrawlState:
    crawler = project_crawler(
        NEWSSPIDER_STATE_ENABLED=True,
        NEWSSPIDER_STATE_URI=f"sqlite:///{tmp_path}/s.sqlite3",
        NEWSSPIDER_STATE_COMMIT_EVERY=2,
    )
    return crawler.get_extension(CrawlState)


class Feeds:
    """Stands in for the feed exporter: records when the output is fsync'd, or fails to be."""

    def __init__(self, events: list[str], fails: bool = False):
        self.events, self.fails, self.error = events, fails, None

    def sync(self) -> None:
        self.events.append("fsync")
        if self.fails:
            raise OutputError(errno.EIO, "out.jsonl: fsync failed: Input/output error")

    def fail(self, message: str) -> None:
        self.error = message


@pytest.mark.parametrize("fails", [False, True])
def test_a_batch_is_committed_only_after_the_output_is_fsynced(tmp_path, fails):
    state = crawl_state(tmp_path)
    events: list[str] = []
    state.feeds = Feeds(events, fails)
    apply = state.store.apply
    state.store.apply = lambda *args: (events.append("commit"), apply(*args))
    state.record_written(record("1"))
    assert events == []  # one record: the batch is not full yet
    state.record_written(record("2"))
    if fails:
        assert events == ["fsync"] and "fsync failed" in state.feeds.error
        assert state.emitted_state("1") is None  # not durable, so not emitted
    else:
        assert events == ["fsync", "commit"]
        assert state.emitted_state("1").version == 1
    state.spider_closed(None, "output_error" if fails else "finished")
    unfinished = [run.run_id for run in SqliteStateStore(tmp_path / "s.sqlite3").unfinished_runs("bannedbook")]
    # A run whose output failed stays unfinished: the next run replays its files.
    assert unfinished == ([state.run_id] if fails else [])


def test_a_state_failure_stops_the_output_and_leaves_the_run_unfinished(tmp_path):
    state = crawl_state(tmp_path)
    state.closing = True  # no engine in this test to stop
    stopped = []
    state.feeds = Feeds([])
    state.feeds.stop_writing = lambda: stopped.append(True)

    def locked(*args):
        raise StateError(f"state {tmp_path}/s.sqlite3: database is locked")

    state.store.apply = locked
    state.record_written(record("1"))
    state.record_written(record("2"))
    assert "database is locked" in state.error and stopped == [True]
    state.spider_closed(None, "state_error")
    unfinished = [run.run_id for run in SqliteStateStore(tmp_path / "s.sqlite3").unfinished_runs("bannedbook")]
    assert unfinished == [state.run_id]


def test_after_stop_writing_nothing_more_is_written_or_emitted(tmp_path):
    path = tmp_path / "out.jsonl"
    crawler = project_crawler(FEEDS={str(path): {"format": "jsonlines"}})
    feeds = crawler.get_extension(DurableFeedExporter)
    feeds.open_spider(BannedbookSpider.from_crawler(crawler, start_urls="http://127.0.0.1:1/x/"))
    written = []
    crawler.signals.connect(lambda item: written.append(item.articleId), signal=record_written, weak=False)
    feeds.item_scraped(record("1"), None)
    feeds.stop_writing()
    feeds.item_scraped(record("2"), None)
    assert path.read_bytes().count(b"\n") == 1 and written == ["1"]
    assert crawler.stats.get_value("newsspider/output/records") == 1


@pytest.mark.parametrize("state_fails", [False, True])
def test_on_a_pipe_a_line_is_completed_only_once_its_record_is_counted(state_fails):
    read, write = os.pipe()
    os.set_blocking(read, False)
    crawler = project_crawler(FEEDS={f"/dev/fd/{write}": {"format": "jsonlines"}})
    feeds = crawler.get_extension(DurableFeedExporter)
    feeds.open_spider(BannedbookSpider.from_crawler(crawler, start_urls="http://127.0.0.1:1/x/"))
    in_the_pipe = []

    def counted(item):
        in_the_pipe.append(os.read(read, 1 << 16))  # what a reader holds while the state records the line
        if state_fails:
            feeds.stop_writing()  # what the crawl state does when it cannot record it

    crawler.signals.connect(counted, signal=record_written, weak=False)
    feeds.item_scraped(record("1"), None)
    (before,) = in_the_pipe
    assert json.loads(before)["articleId"] == "1" and not before.endswith(b"\n")  # no complete line yet
    if state_fails:
        with pytest.raises(BlockingIOError):  # never completed: a record the state did not take stays torn
            os.read(read, 16)
    else:
        assert os.read(read, 16) == b"\n"
    (slot,) = feeds.slots
    slot.file.close()
    os.close(read)
    os.close(write)


def test_on_a_pipe_a_newline_that_cannot_be_written_fails_the_output(monkeypatch):
    """The reader went away between a record and its newline: the run's output has failed."""
    read, write = os.pipe()
    crawler = project_crawler(FEEDS={f"/dev/fd/{write}": {"format": "jsonlines"}})
    feeds = crawler.get_extension(DurableFeedExporter)
    feeds.open_spider(BannedbookSpider.from_crawler(crawler, start_urls="http://127.0.0.1:1/x/"))
    failures = []
    monkeypatch.setattr(feeds, "fail", failures.append)  # the stop itself needs a running engine
    crawler.signals.connect(lambda item: os.close(read), signal=record_written, weak=False)
    feeds.item_scraped(record("1"), None)
    assert len(failures) == 1 and "Broken pipe" in failures[0], failures
    (slot,) = feeds.slots
    slot.file.close()
    os.close(write)
