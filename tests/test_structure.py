"""The shape of the code: one-way imports, small modules, a pure core.

- no import cycles among the modules of ``arb/`` and ``exchanges/`` (the module-level imports that run at import
  time; imports inside functions are not walked), and in ``arb/`` none even through ``if TYPE_CHECKING:``
  imports: a typing-only back reference is still a back reference against the one-way flow;
- no module over :data:`MAX_LINES` lines;
- ``arb/core`` imports nothing from the rest of arb and no I/O, clock or concurrency library (every import in
  the module, function-level ones included).

The imports are read with :mod:`ast`, nothing is imported, so a failure names files and lines, not a traceback.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("arb", "exchanges")
MAX_LINES = 400

# What arb/core may import besides arb.core itself: pure standard-library modules. Widen only with a pure one.
CORE_ALLOWED = frozenset(
    {
        "__future__",
        "abc",
        "bisect",
        "collections",
        "dataclasses",
        "decimal",
        "enum",
        "fractions",
        "functools",
        "heapq",
        "itertools",
        "math",
        "numbers",
        "operator",
        "re",
        "statistics",
        "types",
        "typing",
    }
)
# I/O, clock and concurrency libraries arb/core must never import, named so the failure says why.
CORE_FORBIDDEN = frozenset(
    {
        "aiohttp",
        "apprise",
        "asyncio",
        "asyncio_throttle",
        "ccxt",
        "concurrent",
        "datetime",
        "http",
        "io",
        "logging",
        "multiprocessing",
        "os",
        "pathlib",
        "random",
        "requests",
        "select",
        "selectors",
        "shutil",
        "signal",
        "socket",
        "sqlite3",
        "sqlite_utils",
        "subprocess",
        "sys",
        "tempfile",
        "threading",
        "time",
        "urllib",
    }
)


@dataclass(frozen=True)
class Import:
    target: str  # dotted module name as written (absolute), e.g. "arb.scan.engine" or "decimal"
    names: tuple[str, ...]  # for ``from target import a, b``; empty for ``import target``
    line: int


def modules() -> dict[str, Path]:
    """Dotted name → file, for every module of the packages (a package is its ``__init__``)."""
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_type_checking(node: ast.stmt) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(nodes: list[ast.stmt], module: str, is_package: bool, typing: bool = True) -> Iterator[Import]:
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            yield Import(_absolute(module, is_package, node), names, node.lineno)
        elif isinstance(node, ast.If) and _is_type_checking(node):
            if typing:
                yield from _imports(node.body, module, is_package, typing)
            yield from _imports(node.orelse, module, is_package, typing)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            # module level still: `if TYPE_CHECKING:`, `try: import x except ImportError`, ...
            children: list[ast.stmt] = [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            for handler in getattr(node, "handlers", []):
                children.extend(handler.body)
            yield from _imports(children, module, is_package, typing)


def imports_of(module: str, path: Path, deep: bool = False, typing: bool = True) -> list[Import]:
    """The module-level imports (inside ``if``/``try``/``with`` too; ``if TYPE_CHECKING:`` ones only with
    ``typing``); with ``deep``, every import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)] if deep else tree.body
    return list(_imports(nodes, module, path.name == "__init__.py", typing))


def graph(packages: tuple[str, ...] = PACKAGES, typing: bool = False) -> dict[str, dict[str, int]]:
    """module → {imported module of ``packages``: line of the first import}. ``from pkg import sub`` points
    at the submodule ``pkg.sub`` when there is one, else at ``pkg``. ``typing`` adds the ``if TYPE_CHECKING:``
    imports."""
    mods = {m: p for m, p in modules().items() if m.split(".")[0] in packages}
    edges: dict[str, dict[str, int]] = {}
    for module, path in mods.items():
        out: dict[str, int] = {}
        for imp in imports_of(module, path, typing=typing):
            targets = [f"{imp.target}.{name}" for name in imp.names if f"{imp.target}.{name}" in mods]
            if len(targets) < len(imp.names) or not imp.names:
                targets.append(imp.target)
            for target in targets:
                if target in mods and target != module:
                    out.setdefault(target, imp.line)
        edges[module] = out
    return edges


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as one concrete cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(_one_cycle(edges, set(component)))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _one_cycle(edges: dict[str, dict[str, int]], component: set[str]) -> list[str]:
    """A shortest cycle through the component's first module (breadth-first), ending where it started."""
    start = min(component)
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v]):
                if w not in component:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [*reversed(path), start]
                if w not in parent:
                    parent[w] = v
                    nxt.append(w)
        frontier = nxt
    return sorted(component)


def _describe(edges: dict[str, dict[str, int]], cycle: list[str]) -> str:
    hops = [f"{a} (line {edges[a][b]})" for a, b in itertools.pairwise(cycle)]
    return " -> ".join([*hops, cycle[-1]])


def test_cycle_finder_names_a_cycle() -> None:
    edges = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {"a": 4}}
    assert cycles(edges) == [["a", "b", "c", "a"]]
    assert _describe(edges, ["a", "b", "c", "a"]) == "a (line 1) -> b (line 2) -> c (line 3) -> a"
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_relative_imports_resolve_like_python() -> None:
    node = ast.parse("from ..core import model").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _absolute("arb.scan.engine", False, node) == "arb.core"
    assert _absolute("arb.scan", True, node) == "arb.core"


def test_type_checking_imports_are_told_apart() -> None:
    source = "import a\nif TYPE_CHECKING:\n    import b\nelse:\n    import c\n"
    source += "try:\n    import d\nexcept ImportError:\n    e = 1\n"
    nodes = ast.parse(source).body
    assert [i.target for i in _imports(nodes, "m", False, typing=False)] == ["a", "c", "d"]
    assert [i.target for i in _imports(nodes, "m", False, typing=True)] == ["a", "b", "c", "d"]


def test_no_import_cycles() -> None:
    edges = graph()
    assert "arb.core.model" in edges and "exchanges.sim.base" in edges, "the walk found no modules"
    found = [_describe(edges, cycle) for cycle in cycles(edges)]
    assert not found, "import cycles (imports that run at import time):\n" + "\n".join(found)


def test_no_import_cycles_in_arb_even_for_typing() -> None:
    edges = graph(("arb",), typing=True)
    found = [_describe(edges, cycle) for cycle in cycles(edges)]
    assert not found, "import cycles in arb/ (if TYPE_CHECKING imports included):\n" + "\n".join(found)


def test_no_module_over_the_line_limit() -> None:
    over = {
        str(path.relative_to(ROOT)): n
        for path in modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    listing = "\n".join(f"{name}: {n} lines" for name, n in sorted(over.items(), key=lambda kv: -kv[1]))
    assert not over, f"modules over {MAX_LINES} lines (split them by job):\n{listing}"


def core_problems(module: str, path: Path) -> list[str]:
    """Why ``module`` (a module of arb/core at ``path``) breaks the pure-core rule: one line per bad import."""
    bad = []
    for imp in imports_of(module, path, deep=True):
        top = imp.target.split(".")[0]
        where = f"{path.name}:{imp.line} imports {imp.target}"
        if top in ("arb", "exchanges"):
            if not (imp.target == "arb.core" or imp.target.startswith("arb.core.")):
                bad.append(f"{where}: arb/core must not depend on the rest of arb or on exchanges/")
        elif top in CORE_FORBIDDEN:
            bad.append(f"{where}: I/O, clock or concurrency library in the pure core")
        elif top not in CORE_ALLOWED:
            bad.append(f"{where}: not on the pure standard-library list (CORE_ALLOWED in {Path(__file__).name})")
    return bad


def test_core_check_names_each_bad_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from decimal import Decimal\nfrom .model import Fee\nimport os\nfrom arb.scan import engine\n"
        "def f():\n    import time\n    import numpy\n"
    )
    problems = core_problems("arb.core.probe", probe)
    assert [p.split(":")[1].split(" ")[0] for p in problems] == ["3", "4", "6", "7"], problems
    assert "I/O" in problems[0] and "rest of arb" in problems[1] and "pure standard-library" in problems[3]


def test_core_imports_only_core_and_pure_stdlib() -> None:
    bad = [
        line
        for module, path in modules().items()
        if module == "arb.core" or module.startswith("arb.core.")
        for line in core_problems(module, path)
    ]
    assert not bad, "\n".join(bad)


def test_forbidden_and_allowed_lists_do_not_overlap() -> None:
    assert not CORE_ALLOWED & CORE_FORBIDDEN
