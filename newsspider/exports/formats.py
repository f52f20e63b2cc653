"""Writing a snapshot: JSON Lines, or Parquet whose types mirror the record's JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

# Rows per Parquet row group: about 40 MB of article text unpacked, small enough for a reader that
# streams group by group (datasets' streaming mode, DuckDB) and large enough to compress well.
ROW_GROUP = 5000
FILE_ROWS = 200_000  # rows per Parquet file, as Hugging Face shards datasets

_text = pa.string()
SCHEMA = pa.schema(
    [
        pa.field("url", _text, nullable=False),
        pa.field("canonicalUrl", _text, nullable=False),
        pa.field("articleId", _text, nullable=False),
        pa.field("section", _text, nullable=False),
        pa.field("inLanguage", _text, nullable=False),
        pa.field("headline", _text, nullable=False),
        pa.field("datePublished", _text, nullable=False),
        pa.field("datePublishedRaw", _text, nullable=False),
        pa.field(
            "authors",
            pa.list_(pa.struct([pa.field("name", _text, nullable=False), pa.field("nameRaw", _text, nullable=False)])),
            nullable=False,
        ),
        pa.field("source", _text),
        pa.field("editor", _text),
        pa.field("tags", pa.list_(_text), nullable=False),
        pa.field("description", _text),
        pa.field("articleBody", _text, nullable=False),
        pa.field("articleBodyHtml", _text, nullable=False),
        pa.field(
            "images",
            pa.list_(pa.struct([pa.field("url", _text, nullable=False), pa.field("caption", _text)])),
            nullable=False,
        ),
        pa.field(
            "relatedArticles",
            pa.list_(
                pa.struct(
                    [
                        pa.field("url", _text, nullable=False),
                        pa.field("headline", _text, nullable=False),
                        pa.field("articleId", _text),
                    ]
                )
            ),
            nullable=False,
        ),
        pa.field(
            "metadata",
            pa.struct(
                [
                    pa.field("dateDownloaded", _text, nullable=False),
                    pa.field("spider", _text, nullable=False),
                    pa.field("contentHash", _text, nullable=False),
                    pa.field("schemaVersion", _text, nullable=False),
                    pa.field("version", pa.int32()),
                    pa.field("previousHash", _text),
                ]
            ),
            nullable=False,
        ),
        # Not in a crawl's records: the first article this one repeats (exactly or nearly), or null.
        pa.field("duplicateOf", _text),
    ]
)
FIELDS = [f.name for f in SCHEMA]


def row(record: dict[str, Any], duplicate_of: str | None) -> dict[str, Any]:
    """The record in the schema's field order, ``duplicateOf`` added."""
    return {**{name: record.get(name) for name in FIELDS[:-1]}, "duplicateOf": duplicate_of}


def write_jsonl(rows: Iterable[dict[str, Any]], folder: Path, split: str) -> list[Path]:
    path = folder / "data" / f"{split}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as file:
        for item in rows:
            file.write(json.dumps(item, ensure_ascii=False) + "\n")
    return [path]


def write_parquet(rows: list[dict[str, Any]], folder: Path, split: str) -> list[Path]:
    """``data/<split>-00000-of-0000N.parquet``: zstd, row groups of :data:`ROW_GROUP` rows."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    shards = max(1, -(-len(rows) // FILE_ROWS))
    paths = []
    for n in range(shards):
        path = folder / "data" / f"{split}-{n:05d}-of-{shards:05d}.parquet"
        part = rows[n * FILE_ROWS : (n + 1) * FILE_ROWS]
        table = pa.Table.from_pylist(part, schema=SCHEMA)
        pq.write_table(table, path, compression="zstd", row_group_size=ROW_GROUP)
        paths.append(path)
    return paths
