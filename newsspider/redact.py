"""Service URIs in messages and reports, without their passwords."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redacted(uri: str) -> str:
    """The URI without its password."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
