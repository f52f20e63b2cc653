"""The crawl state store and the CrawlState extension, without a crawl."""

import json
import signal
import subprocess
import sys

import pytest
from scrapy.utils.test import get_crawler

from newsspider.errors import BadInput, StateBusy, StateError
from newsspider.extensions import CrawlState
from newsspider.spiders.bannedbook import BannedbookSpider
from newsspider.state import Emission, RunHolder, SqliteStateStore, StateChanges, open_store
from tests.conftest import PROJECT

URL = "http://127.0.0.1:8000/bnews/worldnews/20240620/{}.html"


def emission(article_id: str, version: int = 1, text: str = "a") -> Emission:
    return Emission(article_id, URL.format(article_id), f"sha256:{text * 64}"[:71], version)


def test_emissions_only_move_forward(tmp_path):
    store = SqliteStateStore(tmp_path / "s.sqlite3")
    store.apply("s", StateChanges({"1": emission("1", 2, "b")}, {}, {}), "2024-01-02T00:00:00.000000Z")
    store.apply("s", StateChanges({"1": emission("1", 1, "a")}, {}, {}), "2024-01-03T00:00:00.000000Z")  # a replay
    state = store.get("s", ["1"])["1"]
    assert state.version == 2 and state.content_hash.startswith("sha256:b")
    assert state.first_emitted == "2024-01-02T00:00:00.000000Z"
    assert store.get("other-spider", ["1"]) == {}


def test_frontier_holds_links_until_their_article_is_emitted(tmp_path):
    store = SqliteStateStore(tmp_path / "s.sqlite3")
    now = "2024-01-01T00:00:00.000000Z"
    store.apply(
        "s", StateChanges({"1": emission("1")}, {}, {"1": URL.format(1), "2": URL.format(2), "3": URL.format(3)}), now
    )
    assert store.frontier("s") == {"2": URL.format(2), "3": URL.format(3)}  # 1 is held already
    # Fetched but not emitted (its record was lost or invalid): the next run tries it again.
    store.apply("s", StateChanges({}, {"2": (URL.format(2), now)}, {}), now)
    assert store.frontier("s") == {"2": URL.format(2), "3": URL.format(3)}
    store.apply("s", StateChanges({"2": emission("2")}, {}, {}), now)
    assert store.frontier("s") == {"3": URL.format(3)}
    # Kept under another id (another edition's page): the link leaves as the other joins, in one batch.
    store.apply("s", StateChanges({}, {}, {"4": URL.format(4)}, superseded={"3": "4"}), now)
    assert store.frontier("s") == {"4": URL.format(4)}
    assert store.get("s", ["3"])["3"].kept_as == "4" and store.get("s", ["3"])["3"].version == 0
    superseded_alone = StateChanges({}, {}, {}, superseded={"4": "5"})
    assert superseded_alone  # a batch of nothing else is still one to write
    store.apply("s", superseded_alone, now)
    assert store.frontier("s") == {}


def test_a_superseded_link_alone_leaves_the_frontier_through_the_crawl_state(tmp_path):
    store = SqliteStateStore(tmp_path / "s.sqlite3")
    store.apply("bannedbook", StateChanges({}, {}, {"7": URL.format(7)}), "2024-01-01T00:00:00.000000Z")
    store.close()
    state = crawl_state(tmp_path)
    state.note_superseded("7", "70")
    state.commit_discovered()
    assert state.frontier() == {}
    state.note_discovered("7", URL.format(7))
    state.commit_discovered()  # found again later: the earlier batch's superseding is spent
    assert state.frontier() == {"7": URL.format(7)}
    state.store.close()


def test_runs_killed_and_settled(tmp_path):
    store = SqliteStateStore(tmp_path / "s.sqlite3")
    assert store.settled_before("s") is None
    store.begin_run("s", "r1", ["/out/r1.jsonl"], "2024-01-01T00:00:00.000000Z")
    store.end_run("s", "r1", "finished", "2024-01-01T01:00:00.000000Z")
    store.begin_run("s", "r2", ["/out/r2.jsonl"], "2024-01-02T00:00:00.000000Z")
    assert [(r.run_id, r.feeds) for r in store.unfinished_runs("s")] == [("r2", ("/out/r2.jsonl",))]
    assert store.settled_before("s") == "2024-01-01T01:00:00.000000Z"


@pytest.mark.parametrize("uri", ["redis://localhost/0", "sqlite://", "sqlite:relative.db"])
def test_unknown_state_uris_are_refused(uri):
    with pytest.raises(BadInput, match="setting NEWSSPIDER_STATE_URI="):
        open_store(uri)


def test_open_store_fills_the_spider_name(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/%(name)s.sqlite3", name="bannedbook")
    assert (tmp_path / "bannedbook.sqlite3").exists()
    store.close()


def crawl_state(tmp_path) -> CrawlState:
    crawler = get_crawler(
        BannedbookSpider,
        {
            "NEWSSPIDER_STATE_ENABLED": True,
            "NEWSSPIDER_RECORD_RUN": True,
            "NEWSSPIDER_STATE_URI": f"sqlite:///{tmp_path}/s.sqlite3",
            "NEWSSPIDER_STATE_COMMIT_EVERY": 100,
            "NEWSSPIDER_STATE_RETRY_FOR": 0,
        },
    )
    crawler.stats.open_spider()
    return CrawlState.from_crawler(crawler)


def test_killed_run_is_replayed_from_its_complete_lines(tmp_path):
    feed = tmp_path / "killed.jsonl"
    line = {
        "articleId": "1",
        "url": URL.format(1),
        "canonicalUrl": URL.format(1),
        "relatedArticles": [{"url": URL.format(7) + "/amp", "headline": "x"}],
        "metadata": {"contentHash": "sha256:" + "a" * 64, "version": 1},
    }
    torn = json.dumps({**line, "articleId": "2"})[:40]
    feed.write_text(json.dumps(line) + "\n" + torn, "utf-8")
    store = SqliteStateStore(tmp_path / "s.sqlite3")
    store.begin_run("bannedbook", "killed", [str(feed)], "2024-01-01T00:00:00.000000Z")
    store.close()

    state = crawl_state(tmp_path)
    state.spider_opened(BannedbookSpider())
    assert state.is_held("1") and not state.is_held("2")  # the torn line is not an emission
    assert not state.is_settled("1")  # no run finished since: pagination must not stop at it
    assert feed.read_bytes() == (json.dumps(line) + "\n").encode()  # the torn line was moved aside
    assert (tmp_path / "killed.jsonl.torn").read_text("utf-8") == torn
    assert [r.run_id for r in state.store.unfinished_runs("bannedbook")] == [state.run_id]  # only this one
    assert state.stats.get_value("newsspider/state/replayed_records") == 1


def holder(run_id: str) -> RunHolder:
    return RunHolder(run_id, 4242, "crawler-1", "2024-01-01T00:00:00.000000Z")


def test_a_second_run_is_refused_and_told_who_holds_the_state(tmp_path):
    first = SqliteStateStore(tmp_path / "s.sqlite3")
    first.lock("bannedbook", holder("run-a"))
    second = SqliteStateStore(tmp_path / "s.sqlite3")
    with pytest.raises(StateBusy, match=r"in use by run run-a \(pid 4242 on crawler-1, started 2024-01-01"):
        second.lock("bannedbook", holder("run-b"))
    second.lock("other-spider", holder("run-c"))  # one lock per spider
    first.close()  # a run that ends releases it
    second.lock("bannedbook", holder("run-b"))
    second.close()


def test_a_killed_runs_lock_does_not_block(tmp_path):
    script = (
        "import sys, time; from newsspider.state import SqliteStateStore, RunHolder;"
        f"store = SqliteStateStore({str(tmp_path / 's.sqlite3')!r});"
        "store.lock('bannedbook', RunHolder('killed', 1, 'h', 't'));"
        "print('locked', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    store = SqliteStateStore(tmp_path / "s.sqlite3")
    with pytest.raises(StateBusy, match="run killed"):
        store.lock("bannedbook", holder("next"))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    store.lock("bannedbook", holder("next"))  # the kernel dropped the dead process's lock
    store.close()


def test_a_corrupt_state_says_how_to_recover(tmp_path):
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(StateError, match=r"s\.sqlite3: the file is corrupt .*move it aside .*fresh state"):
        SqliteStateStore(path)


def test_a_state_written_before_kept_as_existed_opens_and_gains_it(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE articles (spider TEXT NOT NULL, article_id TEXT NOT NULL, canonical_url TEXT,"
        " content_hash TEXT, version INTEGER NOT NULL DEFAULT 0, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,"
        " last_fetched TEXT, first_emitted TEXT, unexpanded INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (spider, article_id))"
    )
    old.execute(
        "INSERT INTO articles (spider, article_id, version, first_seen, last_seen) VALUES ('s', '1', 1, 'a', 'b')"
    )
    old.commit()
    old.close()
    store = SqliteStateStore(path)
    assert store.get("s", ["1"])["1"].kept_as is None and store.get("s", ["1"])["1"].version == 1
    store.apply("s", StateChanges({}, {}, {}, superseded={"2": "1"}), "2024-01-01T00:00:00.000000Z")
    assert store.get("s", ["2"])["2"].kept_as == "1"
    store.close()
