"""The import graph's rules: only site files, spiders and the sample site name a particular site;
everything else gets its site from the spider it runs for."""

from __future__ import annotations

import ast
from pathlib import Path

from newsspider import sites

PACKAGE = Path(__file__).resolve().parent.parent / "newsspider"
# Where a particular site may be named: its declaration, its spider, the sample site that imitates it.
MAY_NAME_A_SITE = ("sites", "spiders", "samplesite")


def imports(path: Path) -> set[str]:
    """Every module a file imports, ``from x import y`` counted as ``x`` and ``x.y``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_module_outside_sites_spiders_and_the_sample_site_names_a_site() -> None:
    particular = {f"newsspider.{layer}.{name}" for layer in ("sites", "spiders") for name in sites.names()}
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(imports(path) & particular)
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in MAY_NAME_A_SITE
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_rule_sees_an_import_of_a_site(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from newsspider.sites import bannedbook as site\nimport newsspider.spiders.bannedbook\n")
    assert {"newsspider.sites.bannedbook", "newsspider.spiders.bannedbook"} <= imports(module)
