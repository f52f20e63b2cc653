"""An article's body on a page whose template nobody described: trafilatura's lines, each kept only
when readability-lxml's text has it too.

Measured on the Zyte benchmark (181 pages, its own ``evaluate.py``) and on the Chinese corpus pages
(bench/RESULTS.md section 10): trafilatura ``fast=True`` alone gives F1 0.962, readability-lxml 0.954,
the two together 0.969 (trafilatura adds the lines readability misses in its block, readability
drops trafilatura's stray boilerplate lines). Both get the page as text, decoded by the caller as the
crawl decodes it: trafilatura's own detection reads only 10 KB of the bytes and mis-decodes long
GB2312 pages that carry no HTTP charset.
"""

from __future__ import annotations

import re

import lxml.html
import trafilatura
from lxml import etree
from readability import Document

from newsspider.processors import normalize_space

# Tokens for comparing lines: \w+ runs, but each CJK character on its own (Chinese has no spaces).
_TOKEN_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|\w+")
SHINGLE = 4
CONFIRMED = 0.5  # the share of a line's shingles readability must have for the line to stay
TOO_LITTLE = 250  # characters: below this trafilatura found (almost) nothing, and readability's text is used
# Less text than this in sentences is no article body: a page whose text is gone gives its menus
# and lists of titles (no sentence punctuation) or a site description instead.
MIN_BODY = 60
_SENTENCE_RE = re.compile(r"[。，；]|[.,;](?:\s|$)")
# Script text that reached the page's text (an unclosed or bare script): braces, semicolons, assignments.
_CODE_RE = re.compile(r"[{};=]|function\s*\(|\bvar\s|window\.")
_CODE_SHARE = 0.02
_BLOCKS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table tr td th section article header footer"
    " figure figcaption aside main br hr address caption summary".split()
)


def trafilatura_lines(html: str, url: str | None = None) -> str:
    return trafilatura.extract(html, url=url, fast=True, include_comments=False, include_tables=True) or ""


def readability_lines(html: str, url: str | None = None) -> str:
    try:
        summary = Document(html, url=url).summary(html_partial=True)
    except Exception:  # readability raises its own Unparseable (and lxml's errors) on odd documents
        return ""
    return "\n".join(block_lines(summary))


def block_lines(fragment: str) -> list[str]:
    """One line per block element of an HTML fragment, whitespace collapsed, empty lines dropped."""
    if not fragment or not fragment.strip():
        return []
    try:
        root = lxml.html.fromstring(fragment)
    except (etree.ParserError, ValueError):
        return []
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    return [line for line in (normalize_space(part) for part in root.text_content().split("\n")) if line]


def _shingles(tokens: list[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1))}


def confirmed_lines(base: str, other: str) -> list[str]:
    """The lines of ``base`` whose shingles (or tokens, for a line shorter than a shingle) are at
    least :data:`CONFIRMED` in ``other``."""
    other_tokens = _TOKEN_RE.findall(other)
    other_shingles, other_set = _shingles(other_tokens), set(other_tokens)
    kept = []
    for line in base.split("\n"):
        tokens = _TOKEN_RE.findall(line)
        if not tokens:
            continue
        if len(tokens) >= SHINGLE:
            shingles = _shingles(tokens)
            share = len(shingles & other_shingles) / len(shingles)
        else:
            share = sum(token in other_set for token in tokens) / len(tokens)
        if share >= CONFIRMED:
            kept.append(normalize_space(line) or "")
    return kept


def _prose(line: str) -> bool:
    """False for a line of script text: prose has almost no braces, semicolons or assignments."""
    return len(_CODE_RE.findall(line)) <= _CODE_SHARE * len(line)


def body_lines(html: str, url: str | None = None) -> list[str]:
    """The article body of a whole page (text, decoded), one line per paragraph; ``[]`` when
    neither extractor finds one, or what they find is too little text to be an article."""
    lines = [line for line in _extracted(html, url) if _prose(line)]
    return lines if sum(len(line) for line in lines if _SENTENCE_RE.search(line)) >= MIN_BODY else []


def _extracted(html: str, url: str | None) -> list[str]:
    first = trafilatura_lines(html, url)
    second = readability_lines(html, url)
    if len(first) < TOO_LITTLE:
        chosen = second if len(second) > len(first) else first
        return [line for line in (normalize_space(part) for part in chosen.split("\n")) if line]
    kept = confirmed_lines(first, second) if second else []
    whole = [line for line in (normalize_space(part) for part in first.split("\n")) if line]
    # When readability took another block than trafilatura, the filter would gut the text: trust trafilatura.
    return kept if sum(map(len, kept)) >= 0.5 * sum(map(len, whole)) else whole
