"""Planted duplicates: sample-site records republished under new ids, the way the real site
republishes one story from several outlets, for measuring duplicate marking."""

from __future__ import annotations

import copy
import random
from typing import Any

from newsspider.samplesite.generator import SampleSite

# How a copy differs from its first publication.
KINDS = (
    "exact",  # the same text under another id (another outlet's copy)
    "traditional",  # the same story in the other script
    "outlet_credit",  # the last paragraph replaced by another outlet's credit and disclaimer
    "correction",  # a correction appended
)
CREDIT = "来源：美国之音。文章仅代表作者观点，本网转载不代表同意其说法。"
CORRECTION = "更正：本文此前版本中的一处数字有误，现已更正。"


Article = tuple[str, str]  # (site, articleId)


def planted(
    site: SampleSite, base: str, count: int, seed: int = 5
) -> tuple[list[dict[str, Any]], dict[Article, Article]]:
    """The site's records plus ``count`` copies (each kind in turn, published later under new
    ids), and the truth: the copy's (site, id) -> that of the article it copies."""
    records = [site.expected_record(a, base) for a in site.public_ids]
    truth: dict[Article, Article] = {}
    rng = random.Random(seed)
    next_id = 9_000_000
    for n, original in enumerate(rng.sample(site.public_ids, count)):
        kind = KINDS[n % len(KINDS)]
        record = copy.deepcopy(site.expected_record(original, base, traditional=kind == "traditional"))
        if kind == "outlet_credit":
            record["articleBody"] = "\n".join([*record["articleBody"].split("\n")[:-1], CREDIT])
        elif kind == "correction":
            record["articleBody"] += "\n" + CORRECTION
        record["articleId"] = str(next_id + n)
        record["datePublished"] = "2099-01-01"  # republished after the first
        records.append(record)
        truth[(record["site"], record["articleId"])] = (record["site"], original)
    return records, truth
