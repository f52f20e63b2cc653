"""URL canonicalisation: one form per page, so variants of a link are scheduled once."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only track where a click came from.
TRACKING_PARAM_RE = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|spm)$", re.I)
WEB_SCHEMES = ("http", "https")
# A publication day in a URL's path (2024/07/08, 2024-07-08, 20240708), not inside a longer number:
# year, separator, month, day.
URL_DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})([/-]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
# A DNS name (IDNs in punycode), an IPv4 address, or an IPv6 literal as urlsplit returns it.
_HOST_RE = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$|^[0-9a-f:.]+$"
)


def canonical_url(url: str, scheme_by_host: dict[str, str] | None = None) -> str | None:
    """``None`` for non-web links (``javascript:``, ``mailto:``, ``tel:``, ``data:``…); otherwise
    the URL without fragment and tracking parameters, with a lower-case host, percent-encoding
    normalised, and the scheme the crawl uses for that host."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:  # a malformed port or IPv6 literal
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not _HOST_RE.match(host):
        return None
    scheme = (scheme_by_host or {}).get(host, parts.scheme.lower())
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_PATH_SAFE) or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAM_RE.match(k)]
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def join_url(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``; ``None`` for an empty or unparseable link (Python's
    URL parser raises on some, e.g. a bracketed host that is no IP address)."""
    if not href or not href.strip():
        return None
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return None


def url_article_id(url: str) -> str:
    """The id of an article of a site with no file: the first 16 hex digits of the SHA-256 of its
    URL's host and path (lower-case host; no scheme, query or fragment; no trailing slash): stable
    across runs, the same for http and https and for a link with tracking parameters."""
    parts = urlsplit(url)
    key = f"{(parts.hostname or '').lower()}{unquote(parts.path).rstrip('/') or '/'}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
