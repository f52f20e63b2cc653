"""Duplicate marking: precision and recall on sample-site articles with planted duplicates.

    python -m bench.duplicates            # measure, write section 7 of RESULTS.md
    python -m bench.duplicates --no-write

The sample site's 320 articles are built from one pool of sentences, so distinct articles share
many sentences: hard negatives. Copies are planted under new ids in four kinds (exact, the other
script, another outlet's closing credit, a correction appended).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from bench.results import write_section

SECTION = "## 7. Duplicate marking: precision and recall"
THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8)


def scored(records: list[dict[str, Any]], truth: dict, kinds: tuple[str, ...], threshold: float) -> dict[str, Any]:
    """Precision, recall, false marks and recall by kind of one marking at ``threshold``."""
    from newsspider.exports.duplicates import mark_duplicates, precision_recall

    kind_of = {copy_id: kinds[n % len(kinds)] for n, copy_id in enumerate(truth)}
    started = time.process_time()
    found = mark_duplicates(records, threshold=threshold)
    seconds = time.process_time() - started
    precision, recall = precision_recall(found, truth)
    by_kind = {
        kind: sum(1 for c, k in kind_of.items() if k == kind and found.get(c) == truth[c])
        / sum(1 for k in kind_of.values() if k == kind)
        for kind in kinds
    }
    false = sum(1 for a, first in found.items() if truth.get(a) != first)
    return {
        "threshold": threshold,
        "precision": precision,
        "recall": recall,
        "false": false,
        "by_kind": by_kind,
        "seconds": seconds,
    }


def across(planted_count: int = 120) -> dict[str, Any]:
    """bannedbook republishing RFI: both sample sites (other seeds, so other texts from the same
    sentence pool) and bannedbook copies of RFI articles in four kinds."""
    from newsspider.samplesite.duplicates import ACROSS_KINDS, planted_across
    from newsspider.samplesite.generator import SampleSite

    rfi, bannedbook = SampleSite(site="rfi", seed=2025), SampleSite()
    records, truth = planted_across(rfi, bannedbook, "http://127.0.0.1", planted_count)
    rows = [scored(records, truth, ACROSS_KINDS, threshold) for threshold in THRESHOLDS]
    return {"articles": len(records) - len(truth), "planted": len(truth), "rows": rows}


def run(planted_count: int = 120) -> dict[str, Any]:
    from newsspider.exports.duplicates import THRESHOLD
    from newsspider.samplesite.duplicates import KINDS, planted
    from newsspider.samplesite.generator import SampleSite

    site = SampleSite()
    records, truth = planted(site, "http://127.0.0.1", planted_count)
    out = {"articles": len(site.public_ids), "planted": len(truth), "default": THRESHOLD, "rows": []}
    out["rows"] = [scored(records, truth, KINDS, threshold) for threshold in THRESHOLDS]
    out["across"] = across(planted_count)
    return out


def render(m: dict[str, str], res: dict[str, Any], command: str) -> str:
    lines = [
        SECTION,
        "",
        f"Measured {m['date']} on {m['cpu']}, commit {m['commit']}: `{command}`.",
        "",
        f"The sample site's {res['articles']} articles (built from one pool of sentences: distinct articles share "
        f"many, hard negatives) and {res['planted']} copies planted under new ids, a quarter of each kind: the exact "
        "text, the other script, the last paragraph replaced by another outlet's credit, a correction appended. "
        "MinHash (128 values by one-permutation hashing, numpy) and LSH (32 bands of 4) over 5-character shingles "
        "of headline and body after OpenCC t2s; a copy counts as found when it names its original. CPU seconds for all "
        f"{res['articles'] + res['planted']} records.",
        "",
        "| threshold | precision | recall | false marks | exact | other script | outlet credit | correction | CPU s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["rows"]:
        k = r["by_kind"]
        mark = " (default)" if r["threshold"] == res["default"] else ""
        lines.append(
            f"| {r['threshold']}{mark} | {r['precision']:.3f} | {r['recall']:.3f} | {r['false']} | {k['exact']:.2f} "
            f"| {k['traditional']:.2f} | {k['outlet_credit']:.2f} | {k['correction']:.2f} | {r['seconds']:.2f} |"
        )
    cross = res["across"]
    lines += [
        "",
        "Across sites: bannedbook republishing RFI Chinese (`来源：RFI法广`). Both sample sites (RFI seed 2025, "
        f"bannedbook seed 2024: other texts from the same sentence pool), {cross['articles']} articles, and "
        f"{cross['planted']} bannedbook copies of RFI articles, a quarter of each kind: the text as RFI has it, "
        "in the traditional edition, without RFI's lead and photo caption lines, retitled (`法广：`) with the "
        "last paragraph cut; a copy counts as found when it names the RFI original (site and id).",
        "",
        "| threshold | precision | recall | false marks | republished | traditional | body only | retitled | CPU s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in cross["rows"]:
        k = r["by_kind"]
        mark = " (default)" if r["threshold"] == res["default"] else ""
        lines.append(
            f"| {r['threshold']}{mark} | {r['precision']:.3f} | {r['recall']:.3f} | {r['false']} "
            f"| {k['republished']:.2f} | {k['traditional']:.2f} | {k['body_only']:.2f} | {k['retitled']:.2f} "
            f"| {r['seconds']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    from bench.run import machine

    res = run()
    text = render(machine(), res, "python -m bench.duplicates")
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
