"""The documentation: the README stays a short start, the docs site builds strictly, and the settings
and field references cannot drift from the code that decides (config.py's table, the JSON schema)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from newsspider import config
from newsspider.pipelines import load_schema
from tests.conftest import PROJECT

DOCS = PROJECT / "docs"
ROW = re.compile(r"^\| `([A-Za-z_.]+)` \|", re.M)


def test_the_docs_site_builds_strictly(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")]
    result = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site" / "settings" / "index.html").is_file()


def test_the_settings_reference_names_every_setting_config_decides() -> None:
    documented = [
        name for name in ROW.findall((DOCS / "settings.md").read_text("utf-8")) if name.startswith("NEWSSPIDER_")
    ]
    assert sorted(set(documented)) == sorted(config.SETTINGS)
    assert len(documented) == len(set(documented))


def test_the_field_reference_is_the_schemas_fields_in_order() -> None:
    text = (DOCS / "schema.md").read_text("utf-8")
    table = text[text.index("| field |") :].split("\n\n", 1)[0]
    assert ROW.findall(table) == list(load_schema()["properties"])


def test_the_readme_is_a_short_start() -> None:
    readme = (PROJECT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 200
    for page in re.findall(r"\]\((docs/[a-z]+\.md)", readme):
        assert (PROJECT / page).is_file(), page
