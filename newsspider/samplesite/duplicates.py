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
# How bannedbook republishes another site's article (its 来源：RFI法广 credit line is kept out of
# the body by cleaning, so the copy's body is the original's, changed as below).
ACROSS_KINDS = (
    "republished",  # the text as the original site has it
    "traditional",  # the copy in bannedbook's traditional edition
    "body_only",  # without the original's lead and photo caption lines
    "retitled",  # another headline (the outlet's name before it) and the last paragraph cut
)
REPUBLISHER_ID = 9_500_000
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


def planted_across(
    original: SampleSite, republisher: SampleSite, base: str, count: int, seed: int = 7
) -> tuple[list[dict[str, Any]], dict[Article, Article]]:
    """Both sites' records plus ``count`` republications on ``republisher`` of ``original``'s
    articles (each kind of ``ACROSS_KINDS`` in turn, published later), and the truth: the copy's
    (site, id) -> the original's. The two sites should have different seeds: the same seed gives
    both the same texts."""
    import opencc

    to_traditional = opencc.OpenCC("s2t")
    records = [original.expected_record(a, base) for a in original.public_ids]
    records += [republisher.expected_record(a, base) for a in republisher.public_ids]
    host = records[-1]["site"]
    truth: dict[Article, Article] = {}
    for n, source in enumerate(random.Random(seed).sample(original.public_ids, count)):
        kind = ACROSS_KINDS[n % len(ACROSS_KINDS)]
        record = copy.deepcopy(original.expected_record(source, base))
        lines = record["articleBody"].split("\n")
        if kind == "traditional":
            lines = [to_traditional.convert(line) for line in lines]
            record["headline"] = to_traditional.convert(record["headline"])
        elif kind == "body_only":
            captions = {f"{i['caption']} {i['credit']}" for i in record["images"]}
            lines = [line for line in lines if line != record["description"] and line not in captions]
        elif kind == "retitled":
            record["headline"] = f"法广：{record['headline']}"
            lines = lines[:-1]
        copy_id = str(REPUBLISHER_ID + n)
        records.append(
            {
                **record,
                "articleId": copy_id,
                "site": host,
                "source": "RFI法广",
                "articleBody": "\n".join(lines),
                "datePublished": "2099-01-01",  # republished after the first
            }
        )
        truth[(host, copy_id)] = (record["site"], source)
    return records, truth
