"""Small named processors: one value in, one value out, ``None`` drops the value."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

_WHITESPACE_RE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")


def normalize_space(value: str | None) -> str | None:
    """Collapse every run of whitespace (``&nbsp;`` and the ideographic space included)."""
    if value is None:
        return None
    text = _WHITESPACE_RE.sub(" ", value).strip()
    return text or None


def strip_site_suffix(title: str | None, loader_context: dict) -> str | None:
    """``'X - 中国禁闻网'`` -> ``'X'``: the fallback headline must not carry the site name (the
    site's ``site_name_suffix_re``)."""
    title = normalize_space(title)
    return normalize_space(loader_context["site"].site_name_suffix_re.sub("", title)) if title else None


def language_tag(value: str | None) -> str | None:
    """Normalise ``zh_cn``/``zh-tw``/``zh-Hant`` style values to BCP 47 casing."""
    value = normalize_space(value)
    if not value:
        return None
    parts = [p for p in value.replace("_", "-").split("-") if p]
    if not parts or not parts[0].isalpha():
        return None
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def to_iso_date(value: str | None) -> str | None:
    """An ISO 8601 date-time with offset stays one (normalised); ``YYYYMMDD`` or ``YYYY-MM-DD``
    becomes ``YYYY-MM-DD``; anything else (a naive time included) gives ``None``."""
    value = normalize_space(value)
    if not value:
        return None
    if re.fullmatch(r"\d{8}", value):
        try:
            return datetime.strptime(value, "%Y%m%d").date().isoformat()
        except ValueError:
            return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.isoformat()


# ``2024年07月08日 14:30`` (or the date alone) as an old article page's div.postmeat shows it.
_SITE_DATE_RE = re.compile(
    r"(?:日期\s*[:：]\s*)?(?P<date>(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"
    r"(?:\s*(?P<hour>\d{1,2})\s*[:：]\s*(?P<minute>\d{2}))?)"
)


def site_date_text(value: str | None) -> str | None:
    """The date (and time) a postmeat line opens with: ``'日期：2024年07月08日 14:30 国际新闻'``
    -> ``'2024年07月08日 14:30'``; ``None`` when the line does not open with one."""
    value = normalize_space(value)
    match = _SITE_DATE_RE.match(value) if value else None
    return match["date"] if match else None


def site_date_to_iso(value: str | None, offset: str) -> str | None:
    """``'2024年07月08日 14:30'`` -> ``'2024-07-08T14:30:00+08:00'`` (the site's local time, at ``offset``);
    the date alone -> ``'2024-07-08'``; anything else, an impossible date included, ``None``."""
    value = normalize_space(value)
    match = _SITE_DATE_RE.fullmatch(value) if value else None
    if not match:
        return None
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
        if match["hour"] is None:
            return day.isoformat()
        moment = datetime.combine(day, time(int(match["hour"]), int(match["minute"])))
    except ValueError:
        return None
    return moment.isoformat() + offset


def publication_date(value: str | None, offset: str) -> str | None:
    """An ISO, URL (``YYYYMMDD``) or site-style (``YYYY年MM月DD日 HH:MM``, at ``offset``) date, as ISO 8601."""
    return to_iso_date(value) or site_date_to_iso(value, offset)


def tag_name(value: str | None) -> str | None:
    """A tag link's visible name, whitespace normalised."""
    return normalize_space(value)


def content_hash(text: str) -> str:
    """Stable fingerprint of an article's text, used to spot changed articles downstream."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def unique(values: list) -> list:
    """Drop repeats, keep the first occurrence's position."""
    seen: list = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


# --- credit lines ---------------------------------------------------------------------------

_LABELS = {
    "作者": "author",
    "来源": "source",
    "來源": "source",
    "责任编辑": "editor",
    "責任編輯": "editor",
    "责编": "editor",
    "責編": "editor",
}
_LABEL_RE = re.compile(
    r"(?P<label>" + "|".join(sorted(map(re.escape, _LABELS), key=len, reverse=True)) + r")\s*[:：]\s*"
)
# A value ends at the next label or at clause punctuation.
_VALUE_END_RE = re.compile(r"[,，;；。|｜]")
_CLAUSE_SPLIT_RE = re.compile(r"[,，;；。!！|｜↓]")
# Boilerplate that may share a paragraph with the credit: disclaimers and the share footer.
_BOILERPLATE_RE = re.compile(
    r"(并不|並不|不)代表本[网網]|本[网網]立[场場]|[谨謹仅僅]供参考|[谨謹仅僅]供參考|[谨謹仅僅]代表"
    r"|[转轉]自[网網]|多元(信息|資訊|资讯)|站[长長][动動][态態]|[转轉][发發]分享|follow us",
    re.IGNORECASE,
)
_AUTHOR_SPLIT_RE = re.compile(r"[、/／]")
# Disclaimers after the credit values come in many wordings; they open with the article and speak
# of the site, the author's own view or reference use (文章仅代表作者观点，不代表本站立场…).
_DISCLAIMER_OPENER_RE = re.compile(r"文章|本文|内容|內容|文中|以上")
_DISCLAIMER_WORD_RE = re.compile(r"本[网網站]|立[场場]|[观觀][点點]|[参參]考|代表(作者|本)|[仅僅只谨謹不]代表")
# A credit paragraph is short: a long tail is article text, whatever words it uses.
_DISCLAIMER_MAX_CHARS = 60
_CLAUSE_EDGES = " ,，;；。!！|｜"


@dataclass
class Credit:
    """What one credit line says."""

    authors: list[dict[str, str]] = field(default_factory=list)
    source: str | None = None
    editor: str | None = None


def might_be_credit(text: str | None) -> bool:
    """Cheap first look: a credit line has a label or a disclaimer/footer phrase."""
    return bool(text) and bool(_LABEL_RE.search(text) or _BOILERPLATE_RE.search(text))


def parse_credit(text: str | None) -> Credit | None:
    """Parse a credit paragraph (``作者：古莉來源：RFI法廣，文章謹供參考…``).

    Returns ``None`` unless the whole paragraph is credit matter (labelled values, disclaimers,
    the share footer), so an article sentence that merely mentions ``来源：`` is never eaten."""
    if not might_be_credit(text):
        return None
    text = normalize_space(text)
    if not text:
        return None
    matches = list(_LABEL_RE.finditer(text))
    if not matches and not _is_boilerplate(text):
        return None
    credit = Credit()
    leftovers = [text[: matches[0].start()] if matches else text]
    for i, match in enumerate(matches):
        stop = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        segment = text[match.end() : stop]
        end = _VALUE_END_RE.search(segment)
        value = normalize_space(segment[: end.start()] if end else segment)
        leftovers.append(segment[end.start() :] if end else "")
        kind = _LABELS[match.group("label")]
        if not value:
            continue
        raw = normalize_space(text[match.start() : match.end()] + value) or value
        if kind == "author":
            credit.authors.extend(
                {"name": name, "nameRaw": raw}
                for name in (normalize_space(n) for n in _AUTHOR_SPLIT_RE.split(value))
                if name
            )
        elif kind == "source" and credit.source is None:
            credit.source = value
        elif kind == "editor" and credit.editor is None:
            credit.editor = value
    # Text before the first label must be plain boilerplate; after a value it may be a disclaimer.
    if not _is_boilerplate(leftovers[0]):
        return None
    if not all(_is_boilerplate(part) or _is_disclaimer(part) for part in leftovers[1:]):
        return None
    return credit


def _is_boilerplate(text: str) -> bool:
    """True when every clause of ``text`` is empty or a disclaimer/footer phrase."""
    for clause in _CLAUSE_SPLIT_RE.split(text):
        clause = normalize_space(clause)
        if clause and not _BOILERPLATE_RE.search(clause):
            return False
    return True


def _is_disclaimer(text: str) -> bool:
    """True for a disclaimer clause run such as ``，本文只代表作者观点, 不代表本站立场``."""
    text = (normalize_space(text) or "").strip(_CLAUSE_EDGES)
    return (
        0 < len(text) <= _DISCLAIMER_MAX_CHARS
        and _DISCLAIMER_OPENER_RE.match(text) is not None
        and _DISCLAIMER_WORD_RE.search(text) is not None
    )


def credit_authors(text: str | None) -> list[dict[str, str]] | None:
    credit = parse_credit(text)
    return credit.authors if credit and credit.authors else None


def credit_source(text: str | None) -> str | None:
    credit = parse_credit(text)
    return credit.source if credit else None


def credit_editor(text: str | None) -> str | None:
    credit = parse_credit(text)
    return credit.editor if credit else None


def unique_authors(authors: list[dict[str, str]]) -> list[dict[str, str]]:
    """One entry per author name, first credit wins."""
    seen: set[str] = set()
    out = []
    for author in authors:
        if author["name"] not in seen:
            seen.add(author["name"])
            out.append(author)
    return out
