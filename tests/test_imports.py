"""The import graph the architecture page promises (docs/architecture.md, "Layers").

Built from the source with ``ast``, counting imports inside functions too (they used to hide
cycles): no cycle between modules; core imports only core; a domain never imports another
domain; nobody imports a private module or name of another package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "cxmodels"
CORE = {"errors", "provenance", "references", "plotting", "_results", "_validation", "_numerics",
        "_stats", "_lazy", "_progress", "_engine", "__init__"}
DOMAINS = {"sem", "churn", "clv", "ab", "metrics", "drivers", "text"}
COMBINERS = {"chain", "datasets", "report", "cli"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _graph():
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    edges: dict[str, set[tuple[str, str | None]]] = {m: set() for m in modules}
    for mod, path in modules.items():
        pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith("cxmodels"):
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    edges[mod].add((sub, None) if sub in modules else (target, alias.name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("cxmodels"):
                        edges[mod].add((alias.name, None))
    return modules, edges


MODULES, EDGES = _graph()


def _top(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _resolve(target: str) -> str:
    """The module an import loads (a package's __init__ for `from pkg import name`)."""
    while target and target not in MODULES:
        target = target.rsplit(".", 1)[0] if "." in target else ""
    return target


def test_every_top_level_module_has_a_layer():
    tops = {_top(m) for m in MODULES}
    assert tops <= CORE | DOMAINS | COMBINERS, tops - (CORE | DOMAINS | COMBINERS)


def test_no_import_cycles():
    graph = {m: {_resolve(t) for t, _ in EDGES[m]} - {"", m} for m in MODULES}
    # a package's __init__ re-exporting its own modules is not a cycle with them
    for m in graph:
        graph[m] = {t for t in graph[m] if not (MODULES[t].name == "__init__.py" and m.startswith(t + "."))}
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("layer", ["core", "domain"])
def test_layers(layer):
    bad = []
    for mod, targets in EDGES.items():
        top = _top(mod)
        for target, _ in targets:
            ttop = _top(_resolve(target))
            if layer == "core" and top in CORE and mod != "cxmodels" and ttop not in CORE:
                bad.append(f"{mod} -> {target}")
            if layer == "domain" and top in DOMAINS and ttop != top and ttop not in CORE:
                bad.append(f"{mod} -> {target}")
    assert not bad, f"{layer} modules import above their layer:\n" + "\n".join(sorted(bad))


def test_no_private_imports_across_packages():
    bad = []
    for mod, targets in EDGES.items():
        top = _top(mod)
        for target, name in targets:
            resolved = _resolve(target)
            ttop = _top(resolved)
            if ttop == top or ttop in CORE:
                continue
            private_module = any(p.startswith("_") for p in resolved.split(".")[2:])
            if private_module or (name and name.startswith("_")):
                bad.append(f"{mod} -> {target}" + (f".{name}" if name else ""))
    assert not bad, "private names imported across packages:\n" + "\n".join(sorted(bad))


def test_every_subpackage_is_lazily_reachable():
    import cxmodels

    subpackages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert subpackages <= set(cxmodels.__all__), subpackages - set(cxmodels.__all__)
    for name in cxmodels.__all__:
        assert getattr(cxmodels, name) is not None
