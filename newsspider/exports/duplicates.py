"""Exact and near duplicates across article ids: the same story republished from several outlets,
in either script. Texts are compared in simplified Chinese (OpenCC ``t2s``), as sets of character
shingles, by MinHash signatures and LSH banding, in numpy.

Built for the whole archive (millions of rows) in bounded memory: :class:`DuplicateIndex` keeps per
row only its band hashes (``BANDS`` x 4 bytes), its exact-text digest and its publication key; the
full signatures go to a file on disk and are read back only for the rows that share a band.
(datasketch's MinHash hashes each shingle in Python, about 2 ms an article, and its LSH index holds
every key in Python objects: 2,000 rows/s and 1 GB at a million rows were out of reach with it.)
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections import defaultdict, deque
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

SHINGLE = 5  # characters: Chinese has no spaces, and 5 characters make a rarely shared phrase
NUM_PERM = 128
BANDS, ROWS = 32, 4  # 32 bands of 4 values: pairs from about 0.42 estimated Jaccard share a band
THRESHOLD = 0.5  # estimated Jaccard of the shingle sets from which two texts are one story (bench/duplicates.py)
_NOISE_RE = re.compile(r"[\s\W_]+", re.UNICODE)
_PRIME = np.uint64(0x100000001B3)  # FNV's 64-bit prime: a polynomial hash of the shingle's characters
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BIN_BITS = 7  # 2**7 = NUM_PERM bins
_OFFSET = 0x9E3779B1  # what a borrowed value is shifted by per bin of distance


class Normaliser:
    """Text as compared: simplified script, no whitespace or punctuation."""

    def __init__(self) -> None:
        import opencc

        self._t2s = opencc.OpenCC("t2s")

    def __call__(self, text: str) -> str:
        return _NOISE_RE.sub("", self._t2s.convert(text))


def shingle_hashes(text: str, size: int = SHINGLE) -> np.ndarray:
    """The distinct 64-bit hashes of the text's ``size``-character shingles (the whole text when
    shorter), sorted."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(points) == 0:
        return points
    width = min(size, len(points))
    hashes = np.zeros(len(points) - width + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):  # the hash is arithmetic modulo 2**64 on purpose
        for k in range(width):
            hashes = hashes * _PRIME + points[k : len(points) - width + 1 + k]
        hashes *= _MIX
        return np.unique(hashes ^ (hashes >> np.uint64(29)))


def signature(text: str) -> np.ndarray:
    """The MinHash signature (``NUM_PERM`` uint32 values) of a normalised text, by one-permutation
    hashing: the shingle hashes' top 7 bits choose one of 128 bins, and each bin keeps its least
    value; an empty bin borrows from the next full one (rotation densification, Shrivastava and
    Li 2014), shifted by the distance, so that equal sets still give equal signatures."""
    hashes = shingle_hashes(text)
    if len(hashes) == 0:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    bins = (hashes >> np.uint64(64 - _BIN_BITS)).astype(np.int64)
    # Sorted hashes are sorted by bin first: the first hash of each bin is its least.
    first = np.searchsorted(bins, np.arange(NUM_PERM))
    full = first < len(hashes)
    full[full] = bins[first[full]] == np.arange(NUM_PERM)[full]
    values = (hashes[np.minimum(first, len(hashes) - 1)] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    if full.all():
        return values
    filled = np.flatnonzero(full)
    positions = np.arange(NUM_PERM)
    nearest = np.searchsorted(filled, positions) % len(filled)  # the next full bin, circularly
    source = filled[nearest]
    distance = (source - positions) % NUM_PERM
    with np.errstate(over="ignore"):
        return (values[source] + distance.astype(np.uint32) * np.uint32(_OFFSET)).astype(np.uint32)


def band_hashes(sig: np.ndarray) -> np.ndarray:
    """One 32-bit hash per band of ``ROWS`` signature values (equal bands give equal hashes)."""
    bands = sig.reshape(BANDS, ROWS).astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = bands[:, 0]
        for k in range(1, ROWS):
            mixed = mixed * _PRIME + bands[:, k]
        return ((mixed * _MIX) >> np.uint64(32)).astype(np.uint32)


SKETCH_BATCH = 500  # texts per hand-over to the sketching process
_normalise: Normaliser | None = None


def sketch(texts: list[tuple[str, str]]) -> tuple[bytes, bytes, bytes, bytes]:
    """Signatures, band hashes, exact-text digests and publication keys of ``(text, datePublished)``
    pairs, as flat bytes (runs in the sketching process)."""
    global _normalise
    if _normalise is None:
        _normalise = Normaliser()
    sigs, bands, digests, dates = bytearray(), bytearray(), bytearray(), bytearray()
    for raw, published in texts:
        text = _normalise(raw)
        sig = signature(text)
        sigs += sig.tobytes()
        bands += band_hashes(sig).tobytes()
        digests += hashlib.sha256(text.encode("utf-8")).digest()[:8]
        dates += published.encode("ascii", "replace")[:32].ljust(32)
    return bytes(sigs), bytes(bands), bytes(digests), bytes(dates)


class DuplicateIndex:
    """Rows added one by one in article-id order (which breaks ties of publication time), then
    :meth:`marks`: row -> the row it duplicates. With ``processes``, texts are sketched in other
    processes while the caller goes on reading."""

    def __init__(self, threshold: float = THRESHOLD, folder: Path | None = None, processes: int = 0):
        self.threshold = threshold
        self._sigs = tempfile.TemporaryFile(dir=folder)  # NUM_PERM x 4 bytes a row, read back by offset
        # Flat bytes, not Python objects a row: 128 + 8 + 32 bytes a row in all.
        self._bands = bytearray()
        self._digests = bytearray()
        self._dates = bytearray()
        self.rows = 0
        self._batch: list[tuple[str, str]] = []
        self._pool = ProcessPoolExecutor(processes) if processes else None
        self._in_flight = 2 * max(1, processes)  # batches handed over and not yet stored: bounded memory
        self._pending: deque[Any] = deque()

    def add(self, record: dict[str, Any]) -> None:
        text = (record.get("headline") or "") + "\n" + (record.get("articleBody") or "")
        self._batch.append((text, record.get("datePublished") or "9999"))
        self.rows += 1
        if len(self._batch) >= SKETCH_BATCH:
            self._hand_over()

    def _hand_over(self) -> None:
        batch, self._batch = self._batch, []
        if self._pool is None:
            self._store(sketch(batch))
            return
        self._pending.append(self._pool.submit(sketch, batch))
        while len(self._pending) > self._in_flight:
            self._store(self._pending.popleft().result())

    def _store(self, sketched: tuple[bytes, bytes, bytes, bytes]) -> None:
        sigs, bands, digests, dates = sketched
        self._sigs.write(sigs)
        self._bands += bands
        self._digests += digests
        self._dates += dates

    def _drain(self) -> None:
        if self._batch:
            self._hand_over()
        while self._pending:
            self._store(self._pending.popleft().result())

    def _signature(self, row: int) -> np.ndarray:
        self._sigs.seek(row * NUM_PERM * 4)
        return np.frombuffer(self._sigs.read(NUM_PERM * 4), dtype=np.uint32)

    def marks(self) -> dict[int, int]:
        """Row -> the row of the first article it repeats (exactly or nearly), for rows that repeat
        an earlier one. Rows are taken in publication order and compared with the first articles
        that share a band with them, so a copy of a copy names the first article too."""
        self._drain()
        count = self.rows
        if count == 0:
            return {}
        dates = np.frombuffer(self._dates, dtype="S32")  # a view: no copy
        rank = np.empty(count, dtype=np.int64)
        rank[np.lexsort((np.arange(count), dates))] = np.arange(count)
        del dates
        bands = np.frombuffer(self._bands, dtype=np.uint32).reshape(count, BANDS)
        self._bands = bytearray()
        buckets: dict[int, list[int]] = defaultdict(list)  # row -> ids of its shared buckets
        bucket = 0
        for b in range(BANDS):
            column = bands[:, b]
            order = np.argsort(column, kind="stable")
            values = column[order]
            starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
            sizes = np.diff(np.r_[starts, count])
            for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
                for row in order[start : start + size]:
                    buckets[int(row)].append(bucket)
                bucket += 1
        del bands
        firsts: dict[int, list[int]] = defaultdict(list)  # bucket -> its first articles so far
        exact: dict[bytes, int] = {}
        marks: dict[int, int] = {}
        for row in sorted(buckets, key=rank.__getitem__):
            digest = bytes(self._digests[row * 8 : row * 8 + 8])
            if digest in exact:
                marks[row] = exact[digest]
                continue
            sig = self._signature(row)
            candidates = {c for b in buckets[row] for c in firsts[b]}
            similar = [c for c in candidates if float(np.mean(self._signature(c) == sig)) >= self.threshold]
            if similar:
                marks[row] = min(similar, key=rank.__getitem__)
                continue
            exact[digest] = row
            for b in buckets[row]:
                firsts[b].append(row)
        return marks

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        self._sigs.close()


def article_order(article_id: str) -> tuple[int, str]:
    """Numeric article ids in number order."""
    return (len(article_id), article_id)


Article = tuple[str | None, str]  # (site, articleId)


def mark_duplicates(records: Iterable[dict[str, Any]], threshold: float = THRESHOLD) -> dict[Article, Article]:
    """(site, articleId) -> the (site, articleId) of the first article it duplicates, on whichever
    site, for records in memory (tests, bench). "The first" is the earlier publication, then the lower id."""
    records = sorted(records, key=lambda r: article_order(r["articleId"]))
    index = DuplicateIndex(threshold)
    try:
        for record in records:
            index.add(record)
        key = [(record.get("site"), record["articleId"]) for record in records]
        return {key[row]: key[first] for row, first in index.marks().items()}
    finally:
        index.close()


def precision_recall(found: dict[Article, Article], truth: dict[Article, Article]) -> tuple[float, float]:
    """Of the marks made, the share that name the right first article; of the planted copies, the
    share marked with it."""
    right = sum(1 for a, first in found.items() if truth.get(a) == first)
    precision = right / len(found) if found else 1.0
    recall = sum(1 for a, first in truth.items() if found.get(a) == first) / len(truth) if truth else 1.0
    return precision, recall
