"""The packages' one-way rules, read from the source's imports (README, Architecture).

- `registry/` (the system of record) imports neither `directory/` nor `indexer/`;
- `indexer/` never imports the web layer;
- `directory/` reaches into `indexer/` only through its named public surface.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
# What the web app may use of the indexer: the outbox drain, after a save and in its worker.
INDEXER_SURFACE = {"indexer.sync": {"index_pending"}}


def imports(package: str) -> list[tuple[str, str, str | None]]:
    """(file, module, name) for every absolute import in a package (name None for `import x`)."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(ROOT)}:{node.lineno}" if hasattr(node, "lineno") else str(path)
            if isinstance(node, ast.Import):
                found += [(where, alias.name, None) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found += [(where, node.module, alias.name) for alias in node.names]
    return found


def reaches(module: str, name: str | None, package: str) -> bool:
    full = f"{module}.{name}" if name else module
    return module == package or module.startswith(package + ".") or full.startswith(package + ".")


def test_the_rules_see_imports():
    assert any(module == "registry.db" for _, module, _ in imports("indexer"))


@pytest.mark.parametrize("other", ["directory", "indexer"])
def test_the_registry_imports_neither_the_web_nor_the_indexer(other):
    assert [i for i in imports("registry") if reaches(i[1], i[2], other)] == []


def test_the_indexer_never_imports_the_web_layer():
    assert [i for i in imports("indexer") if reaches(i[1], i[2], "directory")] == []


def test_the_web_layer_uses_only_the_indexers_public_surface():
    used = [
        (where, module, name)
        for where, module, name in imports("directory")
        if reaches(module, name, "indexer")
    ]
    outside = [u for u in used if u[2] not in INDEXER_SURFACE.get(u[1], set())]
    assert outside == []
    assert used, "the web app drains the outbox through indexer.sync"
