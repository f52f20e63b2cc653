"""Every ``NEWSSPIDER_`` setting and spider argument, read and checked in one place.

A bad value raises :class:`~newsspider.errors.BadInput` naming the setting or argument, the value
and what is expected; the spider checks all of them before the crawl builds anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings, Settings

from newsspider.errors import BadInput

UNLIMITED = -1
COVERAGE_FIELDS = ("headline", "articleBody", "authors", "source", "datePublished", "tags")


def _whole(value: Any, minimum: int) -> int:
    if isinstance(value, bool):
        raise ValueError
    number = int(str(value).strip()) if not isinstance(value, int) else value
    if number < minimum:
        raise ValueError
    return number


def _seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if not number >= 0 or number == float("inf"):  # NaN fails too
        raise ValueError
    return number


def _is_none(value: Any) -> bool:
    """None, or how -s spells it."""
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "null"))


def _optional_seconds(value: Any) -> float | None:
    return None if _is_none(value) else _seconds(value)


def _positive_seconds(value: Any) -> float:
    number = _seconds(value)
    if number <= 0:
        raise ValueError
    return number


def _queue_uri(value: Any) -> str | None:
    if _is_none(value):
        return None
    if not isinstance(value, str) or urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ValueError
    return value


def _instant(value: Any) -> datetime | None:
    if _is_none(value):
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None:
        raise ValueError
    return moment.astimezone(UTC)


def _share(value: Any) -> float:
    number = _seconds(value)
    if number > 1:
        raise ValueError
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def _json_dict(value: Any) -> dict:
    """A dict, or its JSON text as given with ``-s``."""
    if isinstance(value, str):
        value = json.loads(value)
    if isinstance(value, BaseSettings):
        value = value.copy_to_dict()
    if not isinstance(value, dict):
        raise ValueError
    return value


def _coverage(value: Any) -> dict[str, float]:
    thresholds = _json_dict(value)
    if not set(thresholds) <= set(COVERAGE_FIELDS):
        raise ValueError
    return {field: _share(share) for field, share in thresholds.items()}


def _selectors(value: Any) -> dict[str, list[str] | None]:
    from newsspider.cleaning import compiled_css  # cleaning imports processors; keep config light

    kinds = _json_dict(value)
    for selectors in kinds.values():
        if selectors is None:
            continue
        if isinstance(selectors, str) or not isinstance(selectors, (list, tuple)):
            raise ValueError
        for selector in selectors:
            compiled_css(selector)  # cssselect raises its own error types: callers catch Exception
    return {kind: None if selectors is None else list(selectors) for kind, selectors in kinds.items()}


def _css_list(value: Any) -> list[str]:
    from newsspider.cleaning import compiled_css

    selectors = json.loads(value) if isinstance(value, str) else value
    if not isinstance(selectors, (list, tuple)) or not all(isinstance(s, str) for s in selectors):
        raise ValueError
    for selector in selectors:
        compiled_css(selector)
    return list(selectors)


def _site_selectors(value: Any) -> dict[str, str | list[str]]:
    from lxml import etree

    from newsspider.cleaning import compiled_css
    from newsspider.sites.base import SELECTOR_FIELDS

    overrides = _json_dict(value)
    checked: dict[str, str | list[str]] = {}
    for name, given in overrides.items():
        kind = SELECTOR_FIELDS[name]  # KeyError (an unknown field) is a ValueError's kin: refused
        values = [given] if isinstance(given, str) else given
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise ValueError
        for selector in values:
            compiled_css(selector.split("::")[0]) if kind.startswith("css") else etree.XPath(selector)
        checked[name] = values if kind.endswith("list") else values[0]
    return checked


def _since(value: Any) -> str | None:
    """``YYYY-MM-DD`` -> ``YYYYMMDD``, the form dates take in article URLs."""
    if value in (None, "", "None"):
        return None
    return date.fromisoformat(str(value)).strftime("%Y%m%d")


def _related_depth(value: Any) -> int:
    if str(value).strip().lower() in ("unlimited", "-1"):
        return UNLIMITED
    return _whole(value, 0)


def _start_urls(value: Any) -> list[str]:
    urls = value if isinstance(value, (list, tuple)) else str(value).split(",")
    urls = [u.strip() for u in urls if u and u.strip()]
    if not urls or any(urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).hostname for u in urls):
        raise ValueError
    return urls


DISCOVERY_MODES = ("listings", "feeds", "sitemaps")


def _discover(value: Any) -> frozenset[str]:
    modes = value if isinstance(value, (list, tuple, set, frozenset)) else str(value).replace("+", ",").split(",")
    chosen = frozenset(m.strip().lower() for m in modes if m and m.strip())
    if not chosen or not chosen <= set(DISCOVERY_MODES):
        raise ValueError
    return chosen


def _site_url(value: Any) -> str | None:
    if _is_none(value):
        return None
    parts = urlsplit(str(value).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError
    return f"{parts.scheme}://{parts.netloc}"


def _hosts(value: Any) -> frozenset[str]:
    hosts = value if isinstance(value, (list, tuple, set, frozenset)) else str(value).replace(",", " ").split()
    if any(not isinstance(h, str) or "/" in h or ":" in h for h in hosts):
        raise ValueError
    return frozenset(h.strip().lower() for h in hosts if h.strip())


@dataclass(frozen=True)
class Rule:
    parse: Callable[[Any], Any]
    expected: str


SETTINGS: dict[str, Rule] = {
    "NEWSSPIDER_MAX_PAGES": Rule(lambda v: _whole(v, 0), "a whole number >= 0 (0 = no limit)"),
    "NEWSSPIDER_SINCE": Rule(_since, "a date as YYYY-MM-DD, or None"),
    "NEWSSPIDER_RELATED_DEPTH": Rule(_related_depth, "a whole number >= 0, or -1 / unlimited"),
    "NEWSSPIDER_STRIP_SELECTORS": Rule(_selectors, "a JSON object of kind -> list of CSS selectors (or null)"),
    "NEWSSPIDER_STRIP_SELECTORS_BASE": Rule(_selectors, "a JSON object of kind -> list of CSS selectors (or null)"),
    "NEWSSPIDER_IMAGE_CREDIT_SELECTORS": Rule(_css_list, "a JSON list of CSS selectors"),
    "NEWSSPIDER_SITE_SELECTORS": Rule(
        _site_selectors, "a JSON object of site selector -> selector (entry: CSS; the rest as docs/settings.md says)"
    ),
    "NEWSSPIDER_GENERIC_FALLBACK": Rule(_boolean, "True or False"),
    "NEWSSPIDER_RECORD_RUN": Rule(_boolean, "True or False"),
    "NEWSSPIDER_DEFAULT_FEED": Rule(_text, 'a feed URI, or "" for none'),
    "NEWSSPIDER_REPORT_ENABLED": Rule(_boolean, "True or False"),
    "NEWSSPIDER_REPORT_URI": Rule(_text, "a file path"),
    "NEWSSPIDER_STATE_ENABLED": Rule(_boolean, "True or False"),
    "NEWSSPIDER_STATE_URI": Rule(_text, "sqlite:///relative/path, sqlite:////absolute/path or postgresql://..."),
    "NEWSSPIDER_STATE_RETRY_FOR": Rule(_seconds, "seconds >= 0"),
    "NEWSSPIDER_QUEUE_URI": Rule(_queue_uri, "redis://[:password@]host:port/db, or None for the single-process queue"),
    "NEWSSPIDER_QUEUE_LEASE": Rule(_positive_seconds, "seconds > 0"),
    "NEWSSPIDER_QUEUE_KEEP": Rule(lambda v: _whole(v, 1), "a whole number of seconds >= 1"),
    "NEWSSPIDER_QUEUE_IDLE_GRACE": Rule(_seconds, "seconds >= 0"),
    "NEWSSPIDER_HOST_DELAY": Rule(_optional_seconds, "seconds >= 0, or None for DOWNLOAD_DELAY"),
    "NEWSSPIDER_HOST_CONCURRENCY": Rule(
        lambda v: None if _is_none(v) else _whole(v, 1), "a whole number >= 1, or None"
    ),
    "NEWSSPIDER_HOST_AUTOTHROTTLE": Rule(
        lambda v: None if _is_none(v) else _boolean(v), "True, False, or None for AUTOTHROTTLE_ENABLED"
    ),
    "NEWSSPIDER_STATE_COMMIT_EVERY": Rule(lambda v: _whole(v, 1), "a whole number >= 1"),
    "NEWSSPIDER_REFRESH_AFTER": Rule(_optional_seconds, "seconds >= 0, or None for never"),
    "NEWSSPIDER_REFRESH_RECENT_DAYS": Rule(_seconds, "days >= 0 (0 = off)"),
    "NEWSSPIDER_REFRESH_RECENT_EVERY": Rule(_seconds, "seconds >= 0"),
    "NEWSSPIDER_NOW": Rule(_instant, "an ISO 8601 date and time with a zone (2026-11-28T10:00:00Z), or None"),
    "NEWSSPIDER_DISCOVER": Rule(_discover, f"one or more of {', '.join(DISCOVERY_MODES)}, separated by commas"),
    "NEWSSPIDER_SITE_URL": Rule(_site_url, "the site's root URL (https://host), or None for the site's own"),
    "NEWSSPIDER_FEED_HOSTS": Rule(_hosts, "host names separated by spaces or commas"),
    "NEWSSPIDER_SITEMAP_MAX_BYTES": Rule(lambda v: _whole(v, 1), "a whole number of bytes >= 1"),
    "NEWSSPIDER_SITEMAP_MAX_URLS": Rule(lambda v: _whole(v, 1), "a whole number >= 1"),
    "NEWSSPIDER_SITEMAP_MAX_FILES": Rule(lambda v: _whole(v, 1), "a whole number >= 1"),
    "NEWSSPIDER_SITEMAP_QUEUE": Rule(lambda v: _whole(v, 1), "a whole number of requests >= 1"),
    "NEWSSPIDER_ARCHIVE_ENABLED": Rule(_boolean, "True or False"),
    "NEWSSPIDER_ARCHIVE_DIR": Rule(
        lambda v: None if _is_none(v) else _text(v), "a folder path, or None for beside the output"
    ),
    "NEWSSPIDER_ARCHIVE_ROTATE_BYTES": Rule(lambda v: _whole(v, 1), "a whole number of bytes >= 1"),
    "NEWSSPIDER_EXPORT_MEMORY_MB": Rule(lambda v: _whole(v, 16), "a whole number of MB >= 16"),
    "NEWSSPIDER_STOP_AFTER_KNOWN_PAGES": Rule(lambda v: _whole(v, 1), "a whole number >= 1"),
    "NEWSSPIDER_ALARM_COVERAGE": Rule(_coverage, f"a JSON object of field -> share 0..1, fields {COVERAGE_FIELDS}"),
    "NEWSSPIDER_ALARM_MAX_DROPPED_SHARE": Rule(_share, "a share from 0 to 1"),
    "NEWSSPIDER_ALARM_MAX_BLOCKED_SHARE": Rule(_share, "a share from 0 to 1"),
    "NEWSSPIDER_ALARM_MAX_GENERIC_SHARE": Rule(_share, "a share from 0 to 1"),
    "NEWSSPIDER_PROGRESS_INTERVAL": Rule(_seconds, "seconds >= 0 (0: no progress line)"),
    "NEWSSPIDER_ALARM_MIN_PAGES": Rule(lambda v: _whole(v, 0), "a whole number >= 0"),
    "NEWSSPIDER_ALARM_ZERO_RECORDS_PAGES": Rule(lambda v: _whole(v, 1), "a whole number >= 1"),
    "NEWSSPIDER_BLOCKED_STOP_AFTER": Rule(lambda v: _whole(v, 0), "a whole number >= 0 (0 = never stop)"),
    "NEWSSPIDER_RETRY_BACKOFF_BASE": Rule(_seconds, "seconds >= 0"),
    "NEWSSPIDER_RETRY_BACKOFF_MAX": Rule(_seconds, "seconds >= 0"),
    "NEWSSPIDER_RETRY_AFTER_MAX": Rule(_seconds, "seconds >= 0"),
}

ARGUMENTS: dict[str, Rule] = {
    "start_urls": Rule(_start_urls, "absolute http(s) URLs separated by commas"),
    "max_pages": SETTINGS["NEWSSPIDER_MAX_PAGES"],
    "since": SETTINGS["NEWSSPIDER_SINCE"],
    "related_depth": SETTINGS["NEWSSPIDER_RELATED_DEPTH"],
    "discover": SETTINGS["NEWSSPIDER_DISCOVER"],
}


def _read(rule: Rule, what: str, value: Any) -> Any:
    try:
        return rule.parse(value)
    except Exception as exc:  # int(), float(), json and cssselect raise several unrelated types
        detail = f" ({exc})" if isinstance(exc, json.JSONDecodeError) or "Selector" in type(exc).__name__ else ""
        raise BadInput(f"{what}={value!r}: expected {rule.expected}{detail}") from None


def setting(settings: BaseSettings, name: str) -> Any:
    """The parsed value of a ``NEWSSPIDER_`` setting."""
    return _read(SETTINGS[name], f"setting {name}", settings.get(name))


def argument(name: str, value: Any) -> Any:
    """The parsed value of a spider argument (``-a name=value``)."""
    return _read(ARGUMENTS[name], f"argument {name}", value)


def keeps_state(settings: BaseSettings) -> bool:
    """The crawl state is on, and the command records its run (``scrapy parse`` and the like do not)."""
    return setting(settings, "NEWSSPIDER_STATE_ENABLED") and setting(settings, "NEWSSPIDER_RECORD_RUN")


def clock(settings: BaseSettings) -> Callable[[], datetime]:
    """The crawl's "now": the real clock, or ``NEWSSPIDER_NOW`` fixed (tests, replays), by which
    recent articles are told and fetch times are recorded."""
    fixed = setting(settings, "NEWSSPIDER_NOW")
    return (lambda: fixed) if fixed is not None else (lambda: datetime.now(UTC))


def fill(name: str, template: str, params: dict[str, str]) -> str:
    """A setting's ``%(name)s``-style placeholders filled in; a bad one is bad input naming the setting."""
    try:
        return template % params
    except (KeyError, ValueError, TypeError) as exc:
        raise BadInput(f"setting {name}={template!r}: cannot fill in its %-placeholders ({exc!r})") from None


def command_line_settings(pairs: list[str]) -> dict[str, str]:
    """``-s NAME=VALUE`` options of the project's own commands (reextract, export), as a dict."""
    found = {}
    for text in pairs:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise BadInput(f"-s {text!r}: expected NAME=VALUE")
        found[name.strip()] = value
    return found


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """The project's settings with ``-s``-style overrides, checked as a crawl checks them: for the
    commands that run the project's code outside ``scrapy crawl`` (demo, reextract, export)."""
    settings = Settings()
    settings.setmodule("newsspider.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    check_settings(settings)
    return settings


def check_settings(settings: BaseSettings) -> None:
    """Refuse unknown ``NEWSSPIDER_`` names (a typo would silently do nothing) and bad values."""
    unknown = sorted(name for name in settings if name.startswith("NEWSSPIDER_") and name not in SETTINGS)
    if unknown:
        raise BadInput(f"unknown setting {unknown[0]}: the NEWSSPIDER_ settings are listed in docs/settings.md")
    for name in SETTINGS:
        setting(settings, name)


def strip_selectors(settings: BaseSettings) -> dict[str, list[str]]:
    """``NEWSSPIDER_STRIP_SELECTORS_BASE`` merged with the user's ``NEWSSPIDER_STRIP_SELECTORS``,
    as Scrapy merges ``*_BASE`` settings: the user's selectors are added to their kind, and an
    empty list or null for a kind removes that kind's defaults."""
    merged = {kind: list(s or []) for kind, s in setting(settings, "NEWSSPIDER_STRIP_SELECTORS_BASE").items()}
    for kind, selectors in setting(settings, "NEWSSPIDER_STRIP_SELECTORS").items():
        merged[kind] = [*merged.get(kind, []), *selectors] if selectors else []
    return {kind: selectors for kind, selectors in merged.items() if selectors}
