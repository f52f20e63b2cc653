"""Writing a snapshot: JSON Lines, or Parquet whose types mirror the record's JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import BytesIO
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.json as pa_json
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
            pa.list_(
                pa.struct(
                    [pa.field("url", _text, nullable=False), pa.field("caption", _text), pa.field("credit", _text)]
                )
            ),
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
        pa.field("site", _text),  # null for a record older than 1.3.0 of a spider no site file names
        pa.field("dateModified", _text),
        pa.field("extraction", _text, nullable=False),
        # Not in a crawl's records: the first article this one repeats (exactly or nearly), or null.
        pa.field("duplicateOf", _text),
        pa.field("duplicateOfSite", _text),  # and its site: a copy may repeat another site's article
    ]
)
FIELDS = [f.name for f in SCHEMA]


# The first article a row repeats: its site and its articleId.
First = tuple[str | None, str]


def row(record: dict[str, Any]) -> dict[str, Any]:
    """The record in the schema's field order, ``duplicateOf`` and ``duplicateOfSite`` (filled in by
    :func:`finish`) last."""
    return {**{name: record.get(name) for name in FIELDS[:-2]}, "duplicateOf": None, "duplicateOfSite": None}


class StagedRows:
    """Rows written in snapshot order as JSON Lines to a scratch file, before their ``duplicateOf``
    is known; :meth:`finish` turns them into the dataset's files."""

    def __init__(self, folder: Path):
        self.path = folder / "rows.jsonl"
        self.count = 0
        self._file = self.path.open("w", encoding="utf-8")

    def add(self, item: dict[str, Any]) -> None:
        self.count += 1
        self._file.write(json.dumps(item, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._file.close()

    def articles(self, rows: set[int]) -> dict[int, First]:
        """The site and article id of the given rows (the first articles that copies name)."""
        found: dict[int, First] = {}
        if rows:
            with self.path.open("rb") as file:
                for n, line in enumerate(file):
                    if n in rows:
                        record = json.loads(line)
                        found[n] = (record["site"], record["articleId"])
        return found

    def finish(
        self,
        target: Path,
        fmt: str,
        split: str,
        duplicate_of: dict[int, First],
        written: Callable[[int], None] = lambda rows: None,
    ) -> list[Path]:
        """The final files under ``target/data``, with ``duplicateOf`` filled in: ``<split>.jsonl``,
        or ``<split>-0000n-of-0000N.parquet`` (zstd, row groups of :data:`ROW_GROUP` rows);
        ``written`` is told of the rows as they are written."""
        (target / "data").mkdir(parents=True, exist_ok=True)
        if fmt == "jsonl":
            path = target / "data" / f"{split}.jsonl"
            # The staged line ends with the null marks: only the marked lines are rewritten.
            null = b'"duplicateOf": null, "duplicateOfSite": null}\n'
            with self.path.open("rb") as rows, path.open("wb") as out:
                for n, line in enumerate(rows):
                    if n in duplicate_of:
                        site, article_id = duplicate_of[n]
                        marks = {"duplicateOf": article_id, "duplicateOfSite": site}
                        line = line[: -len(null)] + json.dumps(marks, ensure_ascii=False).encode()[1:] + b"\n"
                    out.write(line)
                    written(1)
            return [path]
        return self._parquet(target / "data", split, duplicate_of, written)

    def _parquet(
        self, folder: Path, split: str, duplicate_of: dict[int, First], written: Callable[[int], None]
    ) -> list[Path]:
        # Arrow's own JSON parser, given one row group's lines at a time, types the rows by SCHEMA
        # (about five times faster than building tables from Python dicts; its streaming reader
        # reads hundreds of MB ahead, so the lines are handed over in bounded chunks instead).
        shards = max(1, -(-self.count // FILE_ROWS))
        paths = [folder / f"{split}-{n:05d}-of-{shards:05d}.parquet" for n in range(shards)]
        options = pa_json.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="error")
        writer = pq.ParquetWriter(paths[0], SCHEMA, compression="zstd")
        try:
            with self.path.open("rb") as rows:
                for row in range(0, max(self.count, 1), ROW_GROUP):
                    chunk = b"".join(islice(rows, ROW_GROUP))
                    if not chunk:
                        break
                    if row and row % FILE_ROWS == 0:
                        writer.close()
                        writer = pq.ParquetWriter(paths[row // FILE_ROWS], SCHEMA, compression="zstd")
                    table = pa_json.read_json(BytesIO(chunk), parse_options=options)
                    marks = [duplicate_of.get(n, (None, None)) for n in range(row, row + table.num_rows)]
                    for column, part in ((len(FIELDS) - 2, 1), (len(FIELDS) - 1, 0)):
                        values = pa.array([mark[part] for mark in marks], type=_text)
                        table = table.set_column(column, SCHEMA.field(FIELDS[column]), values)
                    writer.write_table(table.cast(SCHEMA), row_group_size=ROW_GROUP)  # not-null flags as SCHEMA
                    written(table.num_rows)
        finally:
            writer.close()
        return paths
