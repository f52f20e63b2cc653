"""Feed exporters."""

from __future__ import annotations

from typing import Any

from scrapy.exporters import JsonLinesItemExporter


class FlushingJsonLinesItemExporter(JsonLinesItemExporter):
    """JSON Lines, flushed after every record: a killed crawl leaves every finished line on
    disk, which is what lets the crawl state count an article as emitted."""

    def export_item(self, item: Any) -> None:
        super().export_item(item)
        self.file.flush()
