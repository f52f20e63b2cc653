"""Settings and spider arguments: parsed in one place, refused with one line naming them."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from newsspider import config
from newsspider import settings as project_settings
from newsspider.errors import BadInput
from newsspider.sites import bannedbook as site
from newsspider.spiders.bannedbook import BannedbookSpider


def settings(**values: object) -> Settings:
    """The settings of a bannedbook crawl: the project's, the spider's (its site's), then ``-s``."""
    result = Settings()
    result.setmodule(project_settings, priority="project")
    BannedbookSpider.update_settings(result)
    result.update(values, priority="cmdline")
    return result


def test_the_project_defaults_are_valid():
    config.check_settings(settings())


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("NEWSSPIDER_MAX_PAGES", "3", 3),
        ("NEWSSPIDER_REFRESH_AFTER", "None", None),
        ("NEWSSPIDER_REFRESH_AFTER", "0", 0.0),
        ("NEWSSPIDER_REFRESH_AFTER", "21600", 21600.0),
        ("NEWSSPIDER_REFRESH_RECENT_DAYS", "3", 3.0),
        ("NEWSSPIDER_NOW", "None", None),
        ("NEWSSPIDER_STATE_ENABLED", "False", False),
        ("NEWSSPIDER_STATE_ENABLED", "1", True),
        ("NEWSSPIDER_ALARM_COVERAGE", '{"headline": 0.5}', {"headline": 0.5}),
        ("NEWSSPIDER_RELATED_DEPTH", "unlimited", config.UNLIMITED),
        ("NEWSSPIDER_RELATED_DEPTH", "-1", config.UNLIMITED),
        ("NEWSSPIDER_SINCE", "2024-06-01", "20240601"),
    ],
)
def test_values_as_given_with_s(name, given, expected):
    assert config.setting(settings(**{name: given}), name) == expected


@pytest.mark.parametrize(
    ("name", "bad", "expected"),
    [
        ("NEWSSPIDER_MAX_PAGES", "abc", "a whole number >= 0"),
        ("NEWSSPIDER_MAX_PAGES", "-1", "a whole number >= 0"),
        ("NEWSSPIDER_STATE_COMMIT_EVERY", "0", "a whole number >= 1"),
        ("NEWSSPIDER_REFRESH_AFTER", "abc", "seconds >= 0, or None"),
        ("NEWSSPIDER_REFRESH_AFTER", "-5", "seconds >= 0, or None"),
        ("NEWSSPIDER_NOW", "2030-03-10T08:00:00", "with a zone"),
        ("NEWSSPIDER_NOW", "yesterday", "with a zone"),
        ("NEWSSPIDER_REFRESH_RECENT_EVERY", "-1", "seconds >= 0"),
        ("NEWSSPIDER_REFRESH_AFTER", "nan", "seconds >= 0, or None"),
        ("NEWSSPIDER_RETRY_BACKOFF_BASE", "soon", "seconds >= 0"),
        ("NEWSSPIDER_ALARM_MAX_DROPPED_SHARE", "1.5", "a share from 0 to 1"),
        ("NEWSSPIDER_ALARM_COVERAGE", '{"headlines": 0.5}', "fields ("),
        ("NEWSSPIDER_STATE_ENABLED", "maybe", "True or False"),
        ("NEWSSPIDER_SINCE", "2024/06/01", "YYYY-MM-DD"),
        ("NEWSSPIDER_RELATED_DEPTH", "deep", "-1 / unlimited"),
        ("NEWSSPIDER_STRIP_SELECTORS", "{bad json", "Expecting property name"),
        ("NEWSSPIDER_STRIP_SELECTORS", '{"ads": "div.x"}', "list of CSS selectors"),
        ("NEWSSPIDER_STRIP_SELECTORS", '{"ads": ["div[["]}', "Expected ident"),
    ],
)
def test_a_bad_value_names_the_setting_the_value_and_what_is_expected(name, bad, expected):
    with pytest.raises(BadInput) as error:
        config.check_settings(settings(**{name: bad}))
    message = str(error.value)
    assert message.startswith(f"setting {name}={bad!r}: expected ")
    assert expected in message and "\n" not in message


def test_an_unknown_own_setting_is_refused():
    with pytest.raises(BadInput, match="unknown setting NEWSSPIDER_REFESH_AFTER"):
        config.check_settings(settings(NEWSSPIDER_REFESH_AFTER=60))


def test_arguments_share_the_settings_rules():
    assert config.argument("max_pages", "2") == 2
    assert config.argument("start_urls", " http://a.test/x/ ,https://b.test/ ") == [
        "http://a.test/x/",
        "https://b.test/",
    ]
    for name, bad in (("max_pages", "x"), ("start_urls", ""), ("start_urls", "a.test/x"), ("related_depth", "-2")):
        with pytest.raises(BadInput, match=f"^argument {name}={bad!r}: expected "):
            config.argument(name, bad)


def test_strip_selectors_are_added_to_their_base_per_kind():
    merged = config.strip_selectors(settings(NEWSSPIDER_STRIP_SELECTORS={"ads": [".x"], "paywall": [".pw"]}))
    assert merged["ads"] == [*site.STRIP_SELECTORS["ads"], ".x"]
    assert merged["paywall"] == [".pw"]
    assert merged["script"] == site.STRIP_SELECTORS["script"]  # kinds not named keep their defaults


@pytest.mark.parametrize("removal", ["[]", "null"])
def test_an_empty_list_or_null_removes_a_kind(removal):
    merged = config.strip_selectors(settings(NEWSSPIDER_STRIP_SELECTORS=f'{{"related": {removal}}}'))
    assert "related" not in merged and merged["promo"] == site.STRIP_SELECTORS["promo"]


def test_the_base_itself_can_be_replaced():
    merged = config.strip_selectors(settings(NEWSSPIDER_STRIP_SELECTORS_BASE={"ads": [".only"]}))
    assert merged == {"ads": [".only"]}
