"""Exact and near duplicates across article ids: the same story republished from several outlets,
in either script. Texts are compared in simplified Chinese (OpenCC ``t2s``), as sets of character
shingles, with MinHash LSH (datasketch)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from datasketch import MinHash, MinHashLSH

SHINGLE = 5  # characters: Chinese has no spaces, and 5 characters make a rarely shared phrase
NUM_PERM = 128
THRESHOLD = 0.5  # estimated Jaccard of the shingle sets from which two texts are one story (bench/duplicates.py)
_NOISE_RE = re.compile(r"[\s\W_]+", re.UNICODE)


class Normaliser:
    """Text as compared: simplified script, no whitespace or punctuation."""

    def __init__(self) -> None:
        import opencc

        self._t2s = opencc.OpenCC("t2s")

    def __call__(self, text: str) -> str:
        return _NOISE_RE.sub("", self._t2s.convert(text))


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    if len(text) <= size:
        return {text.encode("utf-8")} if text else set()
    return {text[i : i + size].encode("utf-8") for i in range(len(text) - size + 1)}


def minhash(items: set[bytes], num_perm: int = NUM_PERM) -> MinHash:
    sketch = MinHash(num_perm=num_perm, seed=1)
    if items:
        sketch.update_batch(list(items))
    return sketch


def first_publication_order(record: dict[str, Any]) -> tuple[str, int, str]:
    """Which of two copies is "the first": the earlier publication, then the lower id."""
    article_id = record["articleId"]
    return (record.get("datePublished") or "9999", len(article_id), article_id)


def mark_duplicates(
    records: Iterable[dict[str, Any]], threshold: float = THRESHOLD, num_perm: int = NUM_PERM
) -> dict[str, str]:
    """Article id -> the id of the first article it duplicates (exactly or nearly), for the
    records that duplicate an earlier one. Each article's text is its headline and body. Only
    first articles are indexed, so a copy of a copy names the first article too."""
    normalise = Normaliser()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sketches: dict[str, MinHash] = {}
    rank: dict[str, int] = {}
    exact: dict[str, str] = {}
    duplicate_of: dict[str, str] = {}
    for record in sorted(records, key=first_publication_order):
        article_id = record["articleId"]
        text = normalise((record.get("headline") or "") + "\n" + (record.get("articleBody") or ""))
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest in exact:
            duplicate_of[article_id] = exact[digest]
            continue
        sketch = minhash(shingles(text), num_perm)
        # LSH finds candidates; their estimated similarity decides (fewer false matches).
        similar = [c for c in lsh.query(sketch) if sketch.jaccard(sketches[c]) >= threshold]
        if similar:
            duplicate_of[article_id] = min(similar, key=rank.__getitem__)
            continue
        exact[digest] = article_id
        lsh.insert(article_id, sketch)
        sketches[article_id] = sketch
        rank[article_id] = len(rank)
    return duplicate_of


def precision_recall(found: dict[str, str], truth: dict[str, str]) -> tuple[float, float]:
    """Of the marks made, the share that name the right first article; of the planted copies, the
    share marked with it."""
    right = sum(1 for a, first in found.items() if truth.get(a) == first)
    precision = right / len(found) if found else 1.0
    recall = sum(1 for a, first in truth.items() if found.get(a) == first) / len(truth) if truth else 1.0
    return precision, recall
