"""Dates as news pages write them, read into ISO 8601: machine values (``2025-11-30T09:13:47+00:00``,
``2025-11-30T09:13:47Z``, RFC 822 as feeds write them) and visible date lines in the usual Chinese
and English forms (``2024年7月8日 14:30``, ``2024-07-08 14:30``, ``30/11/2025 - 10:13``,
``July 8, 2024``, ``8 July 2024``). A visible time without an offset is read in ``offset`` when
one is given, else only its date is kept: a moment in an unknown zone would be a guess.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from email.utils import parsedate_to_datetime

from newsspider.processors import normalize_space
from newsspider.urls import URL_DATE_RE

_MONTHS = {
    name: n
    for n, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_TIME = r"(?:\D{0,3}?(?P<hour>\d{1,2})\s*[:：时時]\s*(?P<minute>\d{2}))?"
# Each form: year, month, day (by name or number), then an optional time.
_FORMS = (
    re.compile(r"(?P<year>(?:19|20)\d{2})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日" + _TIME),
    re.compile(r"(?P<year>(?:19|20)\d{2})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)" + _TIME),
    # Day first (European, as RFI shows its dates): 30/11/2025 - 10:13.
    re.compile(r"(?<!\d)(?P<day>\d{1,2})[/.](?P<month>\d{1,2})[/.](?P<year>(?:19|20)\d{2})" + _TIME),
    re.compile(
        r"(?P<month_name>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d{2})" + _TIME
    ),
    re.compile(
        r"(?<!\d)(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month_name>[A-Za-z]{3,9})\.?,?\s+(?P<year>(?:19|20)\d{2})"
        + _TIME
    ),
)


def iso_moment(value: str | None) -> str | None:
    """A machine date value as ISO 8601: a date-time with offset stays one, a date alone stays a
    date; a date-time without offset keeps its date only; ``None`` for anything else."""
    value = normalize_space(value)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = _rfc822(value)
        if parsed is None:
            return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return parsed.date().isoformat()
    return parsed.isoformat() if parsed.tzinfo is not None else parsed.date().isoformat()


def _rfc822(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def date_in_text(value: str | None, offset: str | None = None) -> str | None:
    """The first date (and time) a visible line shows, as ISO 8601; the time only with ``offset``
    (``+08:00``), since the line does not say its zone."""
    text = normalize_space(value)
    if not text:
        return None
    for form in _FORMS:
        for match in form.finditer(text):
            moment = _moment(match, offset)
            if moment:
                return moment
    return None


def _moment(match: re.Match[str], offset: str | None) -> str | None:
    parts = match.groupdict()
    month = _MONTHS.get((parts.get("month_name") or "").lower()) if parts.get("month_name") else int(parts["month"])
    if not month:
        return None
    try:
        day = date(int(parts["year"]), month, int(parts["day"]))
        if parts.get("hour") is None or offset is None:
            return day.isoformat()
        return datetime.combine(day, time(int(parts["hour"]), int(parts["minute"]))).isoformat() + offset
    except ValueError:
        return None


def date_in_url(path: str) -> str | None:
    """The publication day a URL's path shows, as ``YYYY-MM-DD``."""
    match = URL_DATE_RE.search(path)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[3]), int(match[4])).isoformat()
    except ValueError:
        return None
