"""The package's shape: import arrows point down the layers, no cycles, every module says what it is.

The layers, bottom first (README's "Layout" names every module):

0. the base: errors, locations, files, article, taxonomy, metrics, progress, chinese, processes
1. ``reading``: input (articles, pages, label files)
2. ``model``: features, classifier, training, the model store
3. ``tagging``: the array tagger and its segmenter, the tagger, worker processes
4. ``evaluation``: test sets, cross-validation, reports
5. ``labelling``: journal, review, suggestions, comparison
6. ``service``: the HTTP API, the editors' page, the server
   ``archive``: whole archives on a Dask cluster (partitions, parts and manifest, the driver, the per-partition function)
7. ``cli``: the commands (and ``__main__``)

A module may import from its own layer or any layer below, never above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "classifier"
LAYERS = {
    "classifier": 0,
    "classifier.errors": 0,
    "classifier.locations": 0,
    "classifier.files": 0,
    "classifier.article": 0,
    "classifier.taxonomy": 0,
    "classifier.metrics": 0,
    "classifier.progress": 0,
    "classifier.chinese": 0,
    "classifier.processes": 0,
    "classifier.reading": 1,
    "classifier.model": 2,
    "classifier.tagging": 3,
    "classifier.evaluation": 4,
    "classifier.labelling": 5,
    "classifier.service": 6,
    "classifier.archive": 6,
    "classifier.cli": 7,
    "classifier.__main__": 7,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    """The layer of a module: its own entry, else its package's."""
    while module not in LAYERS:
        module = module.rpartition(".")[0]
        assert module, "every module must belong to a layer"
    return LAYERS[module]


def imports(module: str) -> set[str]:
    """The project modules a module imports, at its top or inside functions."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found |= {n for n in names if n in MODULES}
    return found - {module}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module: str) -> None:
    upward = sorted(m for m in imports(module) if layer(m) > layer(module))
    assert not upward, f"{module} (layer {layer(module)}) imports from a higher layer: {upward}"


def test_no_import_cycles() -> None:
    graph = {m: imports(m) - {m} for m in MODULES}
    # A package imports nothing of its own modules (they import it implicitly): drop package -> child edges.
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        if node in done:
            return
        assert node not in visiting, "import cycle: " + " -> ".join([*visiting[visiting.index(node) :], node])
        visiting.append(node)
        for dep in sorted(graph[node]):
            visit(dep)
        visiting.pop()
        done.add(node)

    for module in sorted(graph):
        visit(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_says_what_it_is(module: str) -> None:
    docstring = ast.get_docstring(ast.parse(MODULES[module].read_text(encoding="utf-8")))
    assert docstring, f"{module} has no docstring"
    assert docstring.splitlines()[0].strip(), f"{module}: the docstring's first line is empty"


def test_readme_names_every_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    for module, path in MODULES.items():
        relative = path.relative_to(PACKAGE)
        name = f"{relative.parent}/" if relative.name == "__init__.py" else str(relative)
        if name == "./":
            continue
        assert f"`{name}`" in layout, f"README's Layout does not name {name} ({module})"
