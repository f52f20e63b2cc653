"""Writing one section of ``bench/RESULTS.md`` while keeping the others."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(title: str, text: str) -> None:
    """Replace the section that starts with ``title`` (a ``## `` heading), or add it at the end."""
    current = RESULTS.read_text("utf-8") if RESULTS.exists() else ""
    head, found, rest = current.partition(title)
    tail = re.search(r"^## ", rest, re.MULTILINE) if found else None
    after = rest[tail.start() :] if tail else ""
    RESULTS.write_text(head.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n" + ("\n" + after if after else ""), "utf-8")
