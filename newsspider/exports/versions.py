"""Records of every minor version of the schema's major, read as the current version.

Within a major version fields are only ever added (the README's semver promise), so a record of an
older minor version is the current one with the later fields missing: they are added as null (``site``:
the site of the spider that made it, where a site file names that spider) and the record is checked
against the current rules; its ``metadata.schemaVersion`` stays as written.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import jsonschema_rs

from newsspider import SCHEMA_VERSION, sites
from newsspider.pipelines import load_schema, record_problem

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
CURRENT = tuple(int(n) for n in SCHEMA_VERSION.split("."))


def _related_article_ids(record: dict[str, Any]) -> None:
    for related in record.get("relatedArticles") or []:
        if isinstance(related, dict):
            related.setdefault("articleId", None)


def _metadata_versions(record: dict[str, Any]) -> None:
    metadata = record.get("metadata")
    if isinstance(metadata, dict):
        metadata.setdefault("version", None)
        metadata.setdefault("previousHash", None)


def _site(record: dict[str, Any]) -> None:
    # Not null where it is known: the spider that made the record names its site, and the site
    # is half of the article's key (a null would split one article in two).
    metadata = record.get("metadata")
    spider = metadata.get("spider") if isinstance(metadata, dict) else None
    record.setdefault("site", sites.get(spider).host if spider in sites.names() else None)


def _modified_and_credits(record: dict[str, Any]) -> None:
    record.setdefault("dateModified", None)
    for image in record.get("images") or []:
        if isinstance(image, dict):
            image.setdefault("credit", None)


def _extraction(record: dict[str, Any]) -> None:
    record.setdefault("extraction", "site")  # before 1.5.0 every record came from the site file's selectors


# Minor version -> what it added, as a step that fills the added fields (with null, unless known).
ADDED: dict[int, Callable[[dict[str, Any]], None]] = {
    1: _metadata_versions,
    2: _related_article_ids,
    3: _site,
    4: _modified_and_credits,
    5: _extraction,
}


def schema_version(record: dict[str, Any]) -> tuple[int, int, int] | None:
    metadata = record.get("metadata")
    text = metadata.get("schemaVersion") if isinstance(metadata, dict) else None
    match = _VERSION_RE.match(text) if isinstance(text, str) else None
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


class Reader:
    """Turns a record of any readable version into the current shape, or says why it cannot."""

    def __init__(self) -> None:
        schema = copy.deepcopy(load_schema())
        metadata = schema["properties"]["metadata"]["properties"]
        metadata["schemaVersion"] = {"type": "string", "pattern": rf"^{CURRENT[0]}\.[0-{CURRENT[1]}]\.\d+$"}
        site = schema["properties"]["site"]
        schema["properties"]["site"] = {"anyOf": [site, {"type": "null"}]}  # an older record of an unknown spider
        self.validator = jsonschema_rs.validator_for(schema)

    @staticmethod
    def upgrade(record: dict[str, Any]) -> dict[str, Any] | None:
        """The record in the current shape (changed in place), or None when its version cannot be read."""
        version = schema_version(record)
        if version is None or version[0] != CURRENT[0] or version[1] > CURRENT[1]:
            return None
        for minor in range(version[1] + 1, CURRENT[1] + 1):
            ADDED[minor](record)
        return record

    def problem(self, record: dict[str, Any]) -> str | None:
        """``None`` once the record is in the current shape (changed in place), else a countable reason."""
        version = schema_version(record)
        if version is None:
            return "invalid_record/metadata/schemaVersion"
        if self.upgrade(record) is None:
            return f"unsupported_schema_version/{'.'.join(map(str, version))}"
        problem = record_problem(record, self.validator)
        return None if problem is None else f"invalid_record/{problem}"
