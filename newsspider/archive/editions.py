"""One record per article in re-extraction where each edition of a site has its own id (RFI's
``/cn/`` and ``/tw/`` slugs), as a crawl keeps one: see :class:`Editions`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from itemadapter import ItemAdapter

from newsspider.sites import Site


class Editions:
    """One record per article where each edition has its own id, as a crawl keeps one: a page of
    the traditional edition that names its simplified page waits to the end, and is written only
    when that page gave no record (it was not archived, or not whole)."""

    def __init__(self, site: Site) -> None:
        self.needed = site.edition_links is not None  # else no page names another edition's id
        self.written: set[str] = set()
        self.waiting: list[tuple[Any, str]] = []

    def take(self, record: Any, home: str | None) -> bool:
        """True to write ``record`` now."""
        if home is not None:
            self.waiting.append((record, home))
            return False
        if self.needed:
            self.written.add(ItemAdapter(record)["articleId"])
        return True

    def kept(self, counts: Counter[str]) -> Iterator[Any]:
        """The waiting records whose simplified page gave none; the others counted as skipped."""
        for record, home in self.waiting:
            if home in self.written:
                counts["records"] -= 1
                counts["skipped/other_edition"] += 1
            else:
                yield record
