"""Catching edits by default: recent articles are fetched again, with an injected "now".

The sample site publishes articles dated relative to the test's "now" and edits them between
runs; each run is told the time with NEWSSPIDER_NOW (no sleeps, no dependence on the calendar).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.conftest import LOOPBACK_SETTINGS, SMALL_SITE, SampleServerProcess
from tests.test_scheduled import ScheduledCrawls

DAY = "2030-03-10"  # the test's "today": the site's own articles are years older


def at(hour: int) -> str:
    return f"{DAY}T{hour:02d}:00:00Z"


def test_default_settings_catch_an_edit_of_a_recent_article_and_only_through_refresh(site: str, tmp_path: Path) -> None:
    server = SampleServerProcess(tmp_path / "requests.log", articles=SMALL_SITE, site=site)
    try:
        crawls = ScheduledCrawls(server, tmp_path, **LOOPBACK_SETTINGS)
        recent = server.admin("publish", 2, day=DAY)  # published this morning
        assert crawls.site.publish(2, date.fromisoformat(DAY)) == recent  # the model knows their pages too

        def fetched(paths: list[str], article_id: str) -> bool:
            return any(crawls.site.template.article_id_at(p) == article_id for p in paths)

        status, first, _ = crawls.run(NEWSSPIDER_NOW=at(8))
        assert status == 0
        assert set(recent) <= {r["articleId"] for r in first}
        old = sorted(r["articleId"] for r in first if r["articleId"] not in recent)[0]
        server.admin("edit", 1, ids=[recent[0], old])  # one recent, one years old

        seen = len(server.requested_paths())
        status, second, _ = crawls.run(NEWSSPIDER_NOW=at(9))  # an hour later: too soon to refresh
        assert status == 0 and second == []
        assert not fetched(server.requested_paths()[seen:], recent[0])

        seen = len(server.requested_paths())
        status, third, report = crawls.run(NEWSSPIDER_NOW=at(16))  # seven hours after the first run
        paths = server.requested_paths()[seen:]
        assert status == 0
        assert [(r["articleId"], r["metadata"]["version"]) for r in third] == [(recent[0], 2)]
        # The unchanged recent article is fetched again but not emitted; the old edit is not caught
        # by the default policy (its page is not fetched again).
        assert fetched(paths, recent[1])
        assert not fetched(paths, old)
        assert report["records"]["unchanged"] >= 1
    finally:
        server.stop()
