"""Static import graph of ``siam_tracker_ros`` (for the layering tests).

Every module of the source tree is parsed (nothing is imported) and every ``import`` /
``from ... import`` statement counts, wherever it stands: at the top, inside a function (lazy
imports), under ``if TYPE_CHECKING``. An edge goes to the package module that the statement
loads: ``from a.b import c`` points at ``a.b.c`` when that is a module, else at ``a.b``.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple

import siam_tracker_ros

PACKAGE = "siam_tracker_ros"
PACKAGE_DIR = Path(siam_tracker_ros.__file__).resolve().parent


def module_files(package_dir: Path = PACKAGE_DIR, package: str = PACKAGE) -> Dict[str, Tuple[Path, bool]]:
    """Dotted module name -> (file, is a package ``__init__``) for every ``.py`` file."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        modules[".".join(parts)] = (path, is_package)
    return modules


def imported_names(source: str, module: str, is_package: bool) -> List[Tuple[int, str, List[str]]]:
    """(line, absolute module named by the statement, imported names) for every import
    statement in ``source`` (relative imports resolved against ``module``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target, [alias.name for alias in node.names]))
    return sorted(found)


def edges_of(source: str, module: str, is_package: bool, known: Iterable[str]) -> Set[Tuple[int, str]]:
    """(line, imported package module) for every import of a module in ``known``."""
    known = set(known)
    edges = set()
    for line, target, names in imported_names(source, module, is_package):
        submodules = [f"{target}.{name}" for name in names if f"{target}.{name}" in known]
        edges.update((line, sub) for sub in submodules)
        if target in known and (not names or len(submodules) < len(names)):
            edges.add((line, target))
    return {(line, target) for line, target in edges if target != module}


def unresolved_imports() -> List[str]:
    """``module line N: target`` for every import of a ``siam_tracker_ros`` module that does not
    exist (e.g. a relative import left pointing at a module's old place after a move)."""
    modules = module_files()
    missing = []
    for module, (path, is_package) in modules.items():
        for line, target, _ in imported_names(path.read_text(encoding="utf-8"), module, is_package):
            if (target == PACKAGE or target.startswith(PACKAGE + ".")) and target not in modules:
                missing.append(f"{module} line {line}: {target}")
    return missing


def import_graph() -> Dict[str, Dict[str, int]]:
    """module -> {imported package module: first line importing it}."""
    modules = module_files()
    graph: Dict[str, Dict[str, int]] = {}
    for module, (path, is_package) in modules.items():
        targets: Dict[str, int] = {}
        for line, target in sorted(edges_of(path.read_text(encoding="utf-8"), module, is_package, modules)):
            targets.setdefault(target, line)
        graph[module] = targets
    return graph


def find_cycle(graph: Dict[str, Iterable[str]]) -> Optional[List[str]]:
    """One cycle of ``graph`` as [a, b, ..., a], or None (iterative depth-first search)."""
    state: Dict[str, int] = {}          # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph.get(start, ())))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def subpackage(module: str) -> str:
    """``siam_tracker_ros.core.siamrpn`` -> ``core``; the package root itself -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""
