"""Where a generic reading found its fields on the page, as selectors a site file can take: the
element that holds the body (``entry``, CSS), and the headline's and date line's elements
(``headline_from_entry``, ``date_line_from_entry``: XPaths, which work from the entry too).

The cleaning pipeline counts each page's selectors in the crawl stats (``newsspider/suggest/<field>/<selector>``);
the run report proposes, per field, the selector that fits most fallback pages, with its share.
"""

from __future__ import annotations

from collections import Counter

from lxml import etree

from newsspider.processors import normalize_space

LOCATED = "_located"  # item attribute: field/selector -> 1 for the page
_BLOCKS = etree.XPath("//body//*[self::p or self::h2 or self::h3 or self::li or self::blockquote]")
# Headings first: a breadcrumb's last item often repeats the title too.
_HEADINGS = (etree.XPath("//body//*[self::h1 or self::h2 or self::h3]"), etree.XPath("//body//*[self::div or self::p]"))
_TIMES = etree.XPath("//body//time")
ENTRY_SHARE = 0.8  # of the body lines found on the page, the share the entry must hold


def _text(element: etree._Element) -> str:
    return normalize_space(element.xpath("string()")) or ""


def _classes(element: etree._Element) -> list[str]:
    return [
        c for c in (element.get("class") or "").split() if c.isascii() and c.replace("-", "").replace("_", "").isalnum()
    ]


def css_of(element: etree._Element) -> str:
    """``tag#id`` or ``tag.class.class`` (the element's own name for it)."""
    ident = element.get("id")
    if ident and ident.isascii() and ident.replace("-", "").replace("_", "").isalnum():
        return f"{element.tag}#{ident}"
    return element.tag + "".join(f".{c}" for c in _classes(element))


def xpath_of(element: etree._Element) -> str:
    """``//tag[...]`` by the element's first class (or id), from anywhere in the page."""
    ident = element.get("id")
    if ident and ident.isascii():
        return f"//{element.tag}[@id='{ident}']"
    classes = _classes(element)
    if classes:
        return f"//{element.tag}[contains(concat(' ', normalize-space(@class), ' '), ' {classes[0]} ')]"
    return f"//{element.tag}"


def _entry(root: etree._Element, lines: list[str]) -> etree._Element | None:
    """The deepest element that holds at least :data:`ENTRY_SHARE` of the body lines' blocks."""
    wanted = set(lines)
    blocks = [b for b in _BLOCKS(root) if _text(b) in wanted]
    if not blocks:
        return None
    holders: Counter = Counter()
    for block in blocks:
        for ancestor in block.iterancestors():
            holders[ancestor] += 1
    need = ENTRY_SHARE * len(blocks)
    candidates = [
        element for element, count in holders.items() if count >= need and element.tag not in ("html", "body")
    ]
    return max(candidates, key=lambda e: sum(1 for _ in e.iterancestors()), default=None)


def located(root: etree._Element, lines: list[str], headline: str | None, date_text: str | None) -> dict[str, int]:
    """``{"entry/<css>": 1, "headline_from_entry/<xpath>": 1, "date_line_from_entry/<xpath>": 1}`` for
    what was found; a field whose element is not found is left out."""
    found: dict[str, int] = {}
    entry = _entry(root, lines)
    if entry is not None and css_of(entry) != entry.tag:
        found[f"entry/{css_of(entry)}"] = 1
    if headline:
        heading = next(
            (h for find in _HEADINGS for h in find(root) if _text(h) == headline and (h.get("class") or h.tag == "h1")),
            None,
        )
        if heading is not None:
            found[f"headline_from_entry/{xpath_of(heading)}"] = 1
    if date_text:
        stamp = next((t for t in _TIMES(root) if date_text[:10] in (t.get("datetime") or "")), None)
        if stamp is not None:
            found[f"date_line_from_entry/{xpath_of(stamp)}/@datetime"] = 1
    return found


def suggestions(stats: dict[str, int], pages: int) -> dict[str, dict[str, object]]:
    """Per field, the selector that fits most fallback pages and the share of them it fits."""
    best: dict[str, tuple[str, int]] = {}
    for key, count in stats.items():
        if not key.startswith("newsspider/suggest/"):
            continue
        field, selector = key.removeprefix("newsspider/suggest/").split("/", 1)
        if field not in best or count > best[field][1]:
            best[field] = (selector, count)
    return {
        field: {"selector": s, "fits": round(c / pages, 3) if pages else 0.0} for field, (s, c) in sorted(best.items())
    }
