"""Turn an article's raw ``div.entry`` HTML into clean HTML, text and images.

Used by :class:`newsspider.pipelines.CleaningPipeline`; kept apart from it so that the
benchmarks and the fuzz tests can call the same code without a crawler.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from newsspider.processors import might_be_credit, normalize_space, parse_credit
from newsspider.urls import WEB_SCHEMES, join_url

BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6"
    " header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul".split()
)
_CAPTION_RE = re.compile(r"[图圖]\s*[:：]")
_SHARE_FOOTER_RE = re.compile(r"[转轉][发發]分享|follow us", re.IGNORECASE)
_DOCUMENT_TAGS_RE = re.compile(r"</?(?:html|head|body)\b[^>]*>", re.IGNORECASE)
_CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_IMAGE_SRC_ATTRS = ("src", "data-src", "data-lazy-src", "data-original")
_URL_ATTRS = ("href", *_IMAGE_SRC_ATTRS)
_WITH_URLS = etree.XPath(".//*[" + " or ".join(f"@{name}" for name in (*_URL_ATTRS, "srcset")) + "]")
# Each candidate of a srcset starts the value or follows a comma; its descriptor (2x, 640w) stays.
_SRCSET_URL_RE = re.compile(r"(^|,)(\s*)([^\s,]+)")


@dataclass
class CleanedArticle:
    html: str
    text: str
    images: list[dict[str, str | None]]
    stripped: Counter = field(default_factory=Counter)


@lru_cache(maxsize=256)
def compiled_css(selector: str) -> CSSSelector:
    """A CSS selector compiled once to lxml XPath (HTML rules: class names case-insensitive…)."""
    return CSSSelector(selector, translator="html")


def clean_article_html(
    html: str, strip_selectors: dict[str, list[str]], base_url: str, image_credit: tuple[str, ...] = ()
) -> CleanedArticle:
    """Strip every ``strip_selectors`` match, comments and credit lines; return what is left (images'
    photo credits found by the ``image_credit`` selectors inside their captions)."""
    stripped: Counter = Counter()
    # Stray document tags end libxml2's parse early and control characters make lxml refuse
    # the string: neither may cost us the article text.
    html = _DOCUMENT_TAGS_RE.sub("", _CONTROL_CHARS_RE.sub("", html))
    wrapper = _parse_fragment(html)
    if wrapper is None:
        return CleanedArticle(html="", text="", images=[], stripped=stripped)
    return _clean(wrapper, strip_selectors, base_url, stripped, image_credit)


def clean_article_element(
    entry: etree._Element,
    html: str,
    strip_selectors: dict[str, list[str]],
    base_url: str,
    image_credit: tuple[str, ...] = (),
) -> CleanedArticle:
    """:func:`clean_article_html` on the entry element the loader already parsed (which it takes
    out of its page) and serialised as ``html``: the same result without parsing it again."""
    wrapper = etree.Element("div")
    entry.tail = None
    wrapper.append(entry)
    try:
        return _clean(wrapper, strip_selectors, base_url, Counter(), image_credit)
    except ValueError:
        # A control character the parse kept in an attribute, which lxml will not set again: the
        # text path (which drops such characters first) gives the result, as it would have.
        return clean_article_html(html, strip_selectors, base_url, image_credit)


def _clean(
    wrapper: etree._Element,
    strip_selectors: dict[str, list[str]],
    base_url: str,
    stripped: Counter,
    image_credit: tuple[str, ...],
) -> CleanedArticle:
    for comment in wrapper.xpath("//comment()"):
        _drop(comment)
        stripped["comment"] += 1
    # Match everything against the page as served (``p.notice + p`` needs its notice), then drop.
    matches = [
        (kind, element)
        for kind, selectors in strip_selectors.items()
        if selectors
        for element in compiled_css(", ".join(selectors))(wrapper)
    ]
    for kind, element in matches:
        if _attached(element, wrapper):
            _drop(element)
            stripped[kind] += 1
    _strip_credit_blocks(wrapper, stripped)
    _drop_empty_blocks(wrapper)
    _tidy_whitespace(wrapper)
    _absolutize_links(wrapper, base_url)

    content = wrapper[0] if len(wrapper) == 1 and not (wrapper.text or "").strip() else wrapper
    body_html = lxml.html.tostring(content, encoding="unicode", method="html").strip()
    return CleanedArticle(
        html=body_html,
        text="\n".join(text_lines(content)),
        images=extract_images(content, base_url, image_credit),
        stripped=stripped,
    )


# Plain lxml elements: lxml.html's element classes cost a lookup on every node touched.
_PARSER = etree.HTMLParser()
_STRING = etree.XPath("string()")


def _text(element: etree._Element) -> str:
    return _STRING(element)


def _parse_fragment(html: str) -> etree._Element | None:
    """The fragment under one ``<div>``, parsed as the body of a document (libxml2 recovers
    text from far more broken input this way than with lxml's fragment parser)."""
    try:
        document = etree.fromstring(f"<html><body><div>{html}</div></body></html>", _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    body = document.find("body") if document is not None else None
    return body[0] if body is not None and len(body) else None


def _attached(element: etree._Element, root: etree._Element) -> bool:
    """False for an element whose ancestor was already dropped."""
    return any(ancestor is root for ancestor in element.iterancestors())


def _drop(node: etree._Element) -> None:
    """Remove a node (element or comment) but keep the text that follows it."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    previous = node.getprevious()
    parent.remove(node)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _strip_credit_blocks(root: etree._Element, stripped: Counter) -> None:
    """Credit lines (author, source, editor, disclaimers, the share footer) are metadata, not text."""
    for block in list(root.iter("p", "div")):
        if block.tag == "div" and block.find(".//p") is not None:
            continue  # its paragraphs are looked at one by one
        text = _text(block)
        if not might_be_credit(text) or not _attached(block, root) or parse_credit(text) is None:
            continue
        if _SHARE_FOOTER_RE.search(text):
            # The footer is followed by an icon image: drop trailing blocks that carry no text.
            following = block.getnext()
            while following is not None and not normalize_space(_text(following)):
                after = following.getnext()
                _drop(following)
                stripped["share"] += 1
                following = after
            stripped["share"] += 1
        else:
            stripped["credit"] += 1
        _drop(block)


def _drop_empty_blocks(root: etree._Element) -> None:
    """Wrappers emptied by the stripping (and empty paragraphs) are noise in the HTML."""
    for block in reversed(list(root.iter("p", "div", "span"))):
        if block is not root and not _has_text(block) and next(block.iter("img"), None) is None:
            _drop(block)


def _has_text(element: etree._Element) -> bool:
    return any(normalize_space(text) for text in element.itertext())


def _tidy_whitespace(root: etree._Element) -> None:
    """Whitespace between blocks becomes one newline, so diffs of the HTML stay readable."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in BLOCK_TAGS or element is root:
            if element.text is not None and not element.text.strip() and len(element):
                element.text = "\n"
        if element.tail is not None and not element.tail.strip() and element.tag in BLOCK_TAGS:
            element.tail = "\n"


def _absolutize_links(root: etree._Element, base_url: str) -> None:
    """Links and image sources resolved against the page, so the HTML stands on its own (as
    ``images[].url`` does); values with a scheme (``javascript:``, ``mailto:``…) come out as they are."""
    if not base_url:
        return
    for element in _WITH_URLS(root):
        for name in _URL_ATTRS:
            value = element.get(name)
            if value:
                element.set(name, _absolute(base_url, value))
        srcset = element.get("srcset")
        if srcset and "data:" not in srcset:  # a data: URL has commas of its own
            element.set("srcset", _SRCSET_URL_RE.sub(lambda m: m[1] + m[2] + _absolute(base_url, m[3]), srcset))


def _absolute(base_url: str, value: str) -> str:
    # Most links are absolute already: the URL parser is the costly part, so skip it for them.
    if value.startswith(("https://", "http://")):
        return value
    return join_url(base_url, value) or value


def text_lines(root: etree._Element) -> list[str]:
    """One line per block (paragraph, list item, heading…), inline words kept in place."""
    lines: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        line = normalize_space("".join(buffer))
        buffer.clear()
        if line:
            lines.append(line)

    def walk(node: etree._Element) -> None:
        is_block = node.tag in BLOCK_TAGS
        if is_block or node.tag == "br":
            flush()
        if node.text:
            buffer.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                buffer.append(child.tail)
        if is_block:
            flush()

    walk(root)
    flush()
    return lines


def extract_images(
    root: etree._Element, base_url: str, image_credit: tuple[str, ...] = ()
) -> list[dict[str, str | None]]:
    """Absolute image URLs in document order, each with its caption (a ``figcaption``, a ``图：``
    paragraph) and the photo credit the ``image_credit`` selectors find in the caption, if any."""
    credit_css = compiled_css(", ".join(image_credit)) if image_credit else None
    images: list[dict[str, str | None]] = []
    seen: set[str] = set()
    for img in root.iter("img"):
        # A lazy-loaded image has a data: placeholder in src and the real source in data-*.
        src = next((value for value in map(img.get, _IMAGE_SRC_ATTRS) if _is_image_source(value)), None)
        if src is None:
            continue
        url = join_url(base_url, src)
        if url is None or url in seen or not url.lower().startswith(WEB_SCHEMES):
            continue
        seen.add(url)
        images.append({"url": url, **_caption_for(img, credit_css)})
    return images


def _is_image_source(value: str | None) -> bool:
    value = (value or "").strip().lower()
    return bool(value) and not value.startswith(("data:", "javascript:"))


def _caption_for(img: etree._Element, credit_css: CSSSelector | None) -> dict[str, str | None]:
    block = img.getparent()
    while block is not None and block.tag not in BLOCK_TAGS:
        block = block.getparent()
    if block is None:
        return {"caption": None, "credit": None}
    explicit = block.xpath(".//figcaption | .//*[contains(@class, 'wp-caption-text')]")
    if explicit:
        credits = credit_css(explicit[0]) if credit_css is not None else []
        return {
            "caption": normalize_space(_text_outside(explicit[0], credits)),
            "credit": normalize_space(" ".join(_text(credit) for credit in credits)),
        }
    own = normalize_space(_text(block))
    if own and _CAPTION_RE.search(own):
        return {"caption": own, "credit": None}
    following = block.getnext()
    if following is not None and isinstance(following.tag, str):
        text = normalize_space(_text(following))
        if text and _CAPTION_RE.search(text):
            return {"caption": text, "credit": None}
    return {"caption": None, "credit": None}


def _text_outside(element: etree._Element, excluded: list[etree._Element]) -> str:
    """The text of ``element`` without that of the ``excluded`` elements in it (their tails kept)."""
    if not excluded:
        return _text(element)
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text and not any(node is e for e in excluded):
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and not any(child is e for e in excluded):
                walk(child)
            parts.append(" ")  # a caption's spans are separate phrases
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return "".join(parts)
