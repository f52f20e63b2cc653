"""The dataset card: ``README.md`` beside the data, in the Hugging Face style."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from newsspider import SCHEMA_VERSION, sites

SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


def _size_category(count: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if count < limit), "1M<n<10M")


_FALLBACK = {
    "metadata": "How the record was made: `dateDownloaded` (when its page was fetched), `spider`, `contentHash` "
    "(of `articleBody`), `schemaVersion`, `version` (1 for a new article, +1 for each change its text saw; null "
    "without a crawl state) and `previousHash` (the last emitted version's hash).",
}


def _field_rows() -> list[str]:
    schema = json.loads(resources.files("newsspider").joinpath("schemas/article.schema.json").read_text("utf-8"))
    rows = []
    for name, spec in schema["properties"].items():
        if "description" not in spec and spec.get("$ref", "").startswith("#/$defs/"):
            spec = schema["$defs"][spec["$ref"].rsplit("/", 1)[1]]  # a field that is its definition
        description = " ".join(spec.get("description", "").split()).replace("|", "\\|") or _FALLBACK.get(name, "")
        rows.append(f"| `{name}` | {description} |")
    rows.append(
        "| `duplicateOf` | Export only: the `articleId` of the first article (earliest published) that this one "
        "repeats, exactly or nearly (MinHash LSH over 5-character shingles of the headline and body, compared "
        "in simplified script); null for a first or unique article. |"
    )
    rows.append(
        "| `duplicateOfSite` | Export only: the `site` of that first article, which may be another site's (a "
        "republication names its original outlet's article); null with `duplicateOf`. |"
    )
    return rows


def _table(title: str, counts: Counter[str]) -> list[str]:
    lines = [f"| {title} | records |", "|---|---|"]
    lines += [f"| {key or '(none)'} | {count} |" for key, count in sorted(counts.items())]
    return lines


def render(
    built: Any,
    *,
    spiders: list[str],
    fmt: str,
    files: list[str],
    sources: list[str],
    left_out: list[Any],
    command: str,
    all_versions: bool,
    filters: dict[str, Any],
) -> str:
    """The card of a :class:`~newsspider.exports.build.Built` snapshot."""
    split = "train"
    pattern = f"data/{split}-*.parquet" if fmt == "parquet" else f"data/{split}.jsonl"
    rows, articles, duplicates, skipped = built.rows, built.articles, built.duplicates, built.skipped
    known = [sites.get(name) for name in spiders if name in sites.names()]
    site = known[0] if len(spiders) == 1 and known else None
    spider = "+".join(spiders)
    origin = "; ".join(s.description for s in known) if len(known) == len(spiders) else ", ".join(spiders)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    front = [
        "---",
        "language:",
        "- zh",
        "multilinguality: monolingual",
        f"pretty_name: {spider} news articles (newsspider snapshot)",
        "license: other",
        "license_name: source-copyright",
        "size_categories:",
        f"- {_size_category(rows)}",
        "task_categories:",
        "- text-generation",
        "- text-classification",
        "configs:",
        "- config_name: default",
        "  data_files:",
        f"  - split: {split}",
        f"    path: {pattern}",
        "---",
    ]
    body = [
        "",
        f"# {spider} news articles",
        "",
        f"News articles crawled from {origin}, "
        f"by [newsspider](https://github.com/newsspider/newsspider): {rows} rows, "
        f"{articles} articles, {'each distinct version once' if all_versions else 'each as last observed'}. "
        "Records follow the newsspider article schema "
        f"{SCHEMA_VERSION} (`newsspider/schemas/article.schema.json`), plus `duplicateOf`.",
        "",
        "## Loading",
        "",
        "```python",
        "import datasets, duckdb",
        f'ds = datasets.load_dataset("{"parquet" if fmt == "parquet" else "json"}", data_dir="<this folder>/data")',
        f'duckdb.sql("SELECT section, count(*) FROM {"read_parquet" if fmt == "parquet" else "read_json_auto"}'
        f"('<this folder>/{pattern}') GROUP BY 1\")",
        "```",
        "",
        "## Fields",
        "",
        "| field | meaning |",
        "|---|---|",
        *_field_rows(),
        "",
        "## Counts",
        "",
        *_table("site", built.sites),
        "",
        *_table("section", built.sections),
        "",
        *_table("language", built.languages),
        "",
        *_table("month published", built.months),
        "",
        f"Rows marked as repeating an earlier article (`duplicateOf` set): {duplicates}.",
        "",
        "## How it was built",
        "",
        f"- Built {when} with `{command}`.",
        f"- Format: {fmt}"
        + (" (zstd, row groups of 5,000 rows)" if fmt == "parquet" else "")
        + "; files: "
        + ", ".join(f"`{f}`" for f in files)
        + ".",
        "- Sources (finished runs only): " + ("; ".join(f"`{s}`" for s in sources) or "none") + ".",
        "- Left out, not finished: " + ("; ".join(f"`{u.name}` ({u.reason})" for u in left_out) or "nothing") + ".",
        "- Filters: " + (", ".join(f"{k}={v}" for k, v in filters.items() if v) or "none") + ".",
        "- Skipped while reading: " + (", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) or "nothing") + ".",
        "- Which record: "
        + (
            "each distinct text (`contentHash`) of an article once, as first observed"
            if all_versions
            else "each article's newest observation (latest `metadata.dateDownloaded`, then the later run, "
            "then the later line), whatever produced it"
        )
        + "; records of schema 1.x read, later-added fields null.",
        "- Crawled with robots.txt obeyed and the project's per-host limits (each run's settings are in its WARC "
        "files' `warcinfo` records); each record is the cleaned article: site notices, "
        "promo lists, ads, share widgets, related-article lists and credit lines are removed from `articleBody`, "
        "and credited authors, source outlet and editor are given as fields.",
        "",
        "## License and source notes",
        "",
        "The articles are the work of their authors and of the outlets credited in `source`"
        + (f"; {urlsplit(site.root).hostname} publishes or republishes them" if site else "")
        + ". Copyright stays with them: this dataset is for research (text analysis, language "
        "modelling, media studies) under the exceptions your jurisdiction allows, not for republication. "
        + (f"{site.card_notes} " if site and site.card_notes else "")
        + "Dates are as the pages give them"
        + (f" (offset {site.local_utc_offset} where the page gives a local time only)." if site else "."),
        "",
    ]
    return "\n".join(front + body)
