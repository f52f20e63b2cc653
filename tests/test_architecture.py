"""The import graph's rules: lower layers never import higher ones (and there is no import circle);
only site files, spiders and the sample site name a particular site, everything else gets its site
from the spider it runs for."""

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


# Lowest first. A module may import its own layer and the layers below, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    # What everything stands on: errors, settings checks, URLs, the record, processors, sites, the state,
    # the tools' progress meter.
    (
        "newsspider",
        "errors",
        "redact",
        "urls",
        "idset",
        "meter",
        "cli",
        "items",
        "processors",
        "cleaning",
        "config",
        "discovery",
        "sites",
        "state",
        "settings",
    ),
    # The crawl's parts: extraction, output, downloader middlewares, the archive, the shared queue.
    (
        "generic",
        "loaders",
        "output",
        "middlewares",
        "archive.warc",
        "archive.reader",
        "archive.middleware",
        "cluster.keys",
        "cluster.politeness",
        "cluster.scheduler",
        "cluster.run",
        "cluster.local",
        "cluster",
        "jobdir",
    ),
    # The crawl: its extensions (state, report) and pipelines.
    ("extensions", "pipelines"),
    ("spiders",),
    # Tools built on the crawl: commands, re-extraction, export, the sample site and its demos.
    (
        "commands",
        "archive.reextract",
        "archive",
        "exports",
        "cluster.command",
        "generic.command",
        "history",
        "historypage",
        "samplesite",
        "__main__",
    ),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The layer of the longest prefix that names the module (``sites`` covers ``sites.base``)."""
    name = module.removeprefix("newsspider.") if module != "newsspider" else module
    best = max(
        (
            (len(prefix), n)
            for n, layer in enumerate(LAYERS)
            for prefix in layer
            if name == prefix or name.startswith(prefix + ".")
        ),
        default=None,
    )
    assert best is not None, f"{module}: in no layer of tests/test_architecture.py"
    return best[1]


def project_imports() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_lower_layers_never_import_higher_ones() -> None:
    upward = sorted(
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in project_imports().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    )
    assert upward == []


def test_no_import_circle() -> None:
    graph = project_imports()
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> None:
        if module in path:
            raise AssertionError("import circle: " + " -> ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        path.append(module)
        for target in sorted(graph[module]):
            visit(target)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


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
