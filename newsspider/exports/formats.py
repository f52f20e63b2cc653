"""Writing a snapshot: JSON Lines, or Parquet whose types mirror the record's JSON Schema."""

from __future__ import annotations

import json
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


def row(record: dict[str, Any]) -> dict[str, Any]:
    """The record in the schema's field order, ``duplicateOf`` (filled in by :func:`finish`) last."""
    return {**{name: record.get(name) for name in FIELDS[:-1]}, "duplicateOf": None}


class StagedRows:
    """Rows written in snapshot order to a scratch file, before their ``duplicateOf`` is known."""

    def __init__(self, folder: Path, fmt: str):
        self.fmt = fmt
        self.path = folder / ("rows.parquet" if fmt == "parquet" else "rows.jsonl")
        self.count = 0
        self._buffer: list[dict[str, Any]] = []
        self._writer: Any = None
        self._file: Any = None
        if fmt == "parquet":
            self._writer = pq.ParquetWriter(self.path, SCHEMA, compression="zstd")
        else:
            self._file = self.path.open("w", encoding="utf-8")

    def add(self, item: dict[str, Any]) -> None:
        self.count += 1
        if self._file is not None:
            self._file.write(json.dumps(item, ensure_ascii=False) + "\n")
            return
        self._buffer.append(item)
        if len(self._buffer) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._writer.write_table(pa.Table.from_pylist(self._buffer, schema=SCHEMA), row_group_size=ROW_GROUP)
            self._buffer.clear()

    def close(self) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()
        if self._file is not None:
            self._file.close()

    def article_ids(self, rows: set[int]) -> dict[int, str]:
        """The article ids of the given rows (the first articles that copies name)."""
        found: dict[int, str] = {}
        if not rows:
            return found
        if self.fmt == "jsonl":
            with self.path.open("rb") as file:
                for n, line in enumerate(file):
                    if n in rows:
                        found[n] = json.loads(line)["articleId"]
            return found
        parquet = pq.ParquetFile(self.path)
        start = 0
        for group in range(parquet.num_row_groups):
            ids = parquet.read_row_group(group, columns=["articleId"]).column(0).to_pylist()
            found.update((n, ids[n - start]) for n in rows if start <= n < start + len(ids))
            start += len(ids)
        return found

    def finish(self, target: Path, split: str, duplicate_of: dict[int, str]) -> list[Path]:
        """The final files under ``target/data``, with ``duplicateOf`` filled in: ``<split>.jsonl``,
        or ``<split>-0000n-of-0000N.parquet`` (zstd, row groups of :data:`ROW_GROUP` rows)."""
        (target / "data").mkdir(parents=True, exist_ok=True)
        if self.fmt == "jsonl":
            path = target / "data" / f"{split}.jsonl"
            # The staged line ends with the null duplicateOf: only the marked lines are rewritten.
            null = b'"duplicateOf": null}\n'
            with self.path.open("rb") as rows, path.open("wb") as out:
                for n, line in enumerate(rows):
                    if n in duplicate_of:
                        line = line[: -len(null)] + b'"duplicateOf": ' + json.dumps(duplicate_of[n]).encode() + b"}\n"
                    out.write(line)
            return [path]
        parquet = pq.ParquetFile(self.path)
        shards = max(1, -(-self.count // FILE_ROWS))
        paths = [target / "data" / f"{split}-{n:05d}-of-{shards:05d}.parquet" for n in range(shards)]
        writer = None
        row = 0
        for group in range(parquet.num_row_groups):
            table = parquet.read_row_group(group)
            shard = row // FILE_ROWS
            if writer is None or row % FILE_ROWS == 0:
                if writer is not None:
                    writer.close()
                writer = pq.ParquetWriter(paths[shard], SCHEMA, compression="zstd")
            marks = [duplicate_of.get(n) for n in range(row, row + table.num_rows)]
            table = table.set_column(len(FIELDS) - 1, "duplicateOf", pa.array(marks, type=_text))
            writer.write_table(table, row_group_size=ROW_GROUP)
            row += table.num_rows
        if writer is None:  # no rows: one empty file, so that the dataset still loads
            writer = pq.ParquetWriter(paths[0], SCHEMA, compression="zstd")
        writer.close()
        return paths
