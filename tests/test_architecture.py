"""The house's rules, read from the code's own imports (an AST walk; decision 0014):

- the numeric core is pure, and ``import crowdloop`` never pulls in torch;
- no import cycle between domain packages, and each stands on its declared floor;
- a module never imports another domain's ``repository`` (its service, schemas or models);
- database-dialect branches (``.dialect.name``, ``.dialect.driver``) live in ``storage``,
  and the ground (``storage``, ``config``, ``errors``, ...) imports no domain;
- domains never import adapters, web frameworks or ``crowdloop.wiring``.

Each checker is a plain function over plain data, tested first on a small synthetic house
(and on the package graph the code had before decision 0014), so a check that cannot fail
is caught; then it runs on the real house.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "crowdloop"
# Floors, lowest first: a domain package imports only from floors below its own.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("events", "jobs", "audit"),
    ("accounts",),
    ("projects",),
    ("ai", "files"),
    ("work",),
    ("quality", "results"),
    ("allocation", "monitoring", "webhooks"),
)
DOMAINS = tuple(package for floor in LAYERS for package in floor)
NOT_DOMAINS = ("algorithms", "storage", "migrations", "api", "web", "cli", "demo")
ADAPTERS = ("api", "web", "cli", "demo", "app", "wiring", "housekeeping", "__main__")
FRAMEWORKS = ("fastapi", "starlette", "typer", "click", "jinja2", "uvicorn")
# Under every domain; the one storage module that knows them all gathers the models.
GROUND = ("storage", "config", "errors", "text", "outbound")
REGISTRY = "storage/registry.py"

Graph = Mapping[str, Iterable[str]]


def imports_of(source: str) -> list[tuple[str, int]]:
    """Every module a source imports, with its line; ``from a import b`` yields ``a`` and
    ``a.b`` (b may be a module)."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, node.lineno))
            found.extend((f"{node.module}.{a.name}", node.lineno) for a in node.names)
    return found


def package_of(module: str) -> str | None:
    """``crowdloop.work.service`` -> ``work``; None outside crowdloop."""
    parts = module.split(".")
    return parts[1] if parts[0] == "crowdloop" and len(parts) > 1 else None


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle of the graph as a closed path ``[a, b, ..., a]``, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def floor_breaches(graph: Graph, layers: tuple[tuple[str, ...], ...]) -> list[str]:
    """Edges that do not go strictly down the floors."""
    floor = {package: i for i, names in enumerate(layers) for package in names}
    return [
        f"{a} (floor {floor[a]}) imports {b} (floor {floor[b]})"
        for a, targets in sorted(graph.items())
        for b in sorted(targets)
        if a in floor and b in floor and floor[b] >= floor[a]
    ]


def foreign_repositories(package: str, source: str) -> list[str]:
    """Imports of another package's ``repository`` module."""
    return [
        f"line {line}: {name}"
        for name, line in imports_of(source)
        if name.split(".")[-1] == "repository" and package_of(name) not in (None, package)
    ]


def dialect_branches(source: str) -> list[int]:
    """Lines that read ``<anything>.dialect.name`` or ``<anything>.dialect.driver``."""
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and node.attr in ("name", "driver")
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "dialect"
    )


@cache
def _house() -> dict[Path, str]:
    return {path.relative_to(SRC): path.read_text() for path in sorted(SRC.rglob("*.py"))}


def _package(path: Path) -> str:
    return path.parts[0] if len(path.parts) > 1 else path.stem


def _domain_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path, source in _house().items():
        own = _package(path)
        if own not in DOMAINS:
            continue
        for name, _ in imports_of(source):
            target = package_of(name)
            if target in DOMAINS and target != own:
                graph[own].add(target)
    return graph


# What the code looked like before decision 0014: one loop through the middle.
OLD_GRAPH = {
    "projects": {"accounts", "quality"},
    "work": {"accounts", "ai", "allocation", "events", "files", "projects", "quality"},
    "quality": {"accounts", "ai", "projects", "results", "work"},
    "ai": {"projects"},
    "files": {"accounts", "projects", "work"},
    "results": {"projects", "work"},
    "allocation": {"accounts", "ai", "projects", "quality", "work"},
    "monitoring": {"projects", "quality", "work"},
}


class TestCheckers:
    def test_a_cycle_is_found_and_closed(self) -> None:
        cycle = find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
        assert cycle is not None
        assert cycle[0] == cycle[-1]
        assert set(cycle) == {"a", "b", "c"}

    def test_a_layered_graph_has_no_cycle(self) -> None:
        assert find_cycle({"c": {"b", "a"}, "b": {"a"}, "a": set()}) is None

    def test_the_old_house_had_a_loop_and_upward_imports(self) -> None:
        assert find_cycle(OLD_GRAPH) is not None
        breaches = floor_breaches(OLD_GRAPH, LAYERS)
        assert "work (floor 4) imports quality (floor 5)" in breaches
        assert "projects (floor 2) imports quality (floor 5)" in breaches

    def test_an_import_on_the_same_floor_breaches(self) -> None:
        assert floor_breaches({"a": {"b"}}, (("a", "b"),)) == ["a (floor 0) imports b (floor 0)"]

    def test_another_domains_repository_is_flagged(self) -> None:
        source = (
            "from crowdloop.work import repository as work_repository\n"
            "from crowdloop.work.repository import PICK_COLUMNS\n"
            "from crowdloop.work import service\n"
            "from crowdloop.results import repository\n"
        )
        assert foreign_repositories("results", source) == [
            "line 1: crowdloop.work.repository",
            "line 2: crowdloop.work.repository",
        ]

    def test_a_dialect_branch_is_flagged(self) -> None:
        source = (
            "dialect_name = 'sqlite'\n"
            "if session.get_bind().dialect.name == 'postgresql':\n"
            "    pass\n"
            "fast = connection.dialect.driver == 'psycopg'\n"
        )
        assert dialect_branches(source) == [2, 4]


def test_every_package_is_placed() -> None:
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert packages - set(DOMAINS) - set(NOT_DOMAINS) == set(), "add it to LAYERS"


def test_no_import_cycle_between_domain_packages() -> None:
    assert find_cycle(_domain_graph()) is None


def test_domains_import_only_from_lower_floors() -> None:
    assert floor_breaches(_domain_graph(), LAYERS) == []


def test_no_module_imports_another_domains_repository() -> None:
    breaches = [
        f"{path}: {hit}"
        for path, source in _house().items()
        for hit in foreign_repositories(_package(path), source)
    ]
    assert breaches == []


def test_dialect_branches_live_in_storage() -> None:
    found = [
        f"{path}:{line}"
        for path, source in _house().items()
        if _package(path) not in ("storage", "migrations")
        for line in dialect_branches(source)
    ]
    assert found == [], "use crowdloop.storage.dialect"


def test_the_ground_imports_no_domain() -> None:
    """storage, config, errors and the small shared helpers stand under every domain (the
    storage registry alone gathers every domain's models, for Alembic)."""
    for path, source in _house().items():
        if _package(path) in GROUND and path.as_posix() != REGISTRY:
            imported = {p for n, _ in imports_of(source) if (p := package_of(n)) is not None}
            assert imported <= set(GROUND), f"{path} imports {sorted(imported - set(GROUND))}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_domains_do_not_import_adapters_wiring_or_frameworks(domain: str) -> None:
    for path, source in _house().items():
        if _package(path) != domain:
            continue
        for name, line in imports_of(source):
            assert package_of(name) not in ADAPTERS, f"{path}:{line} imports {name}"
            assert name.split(".")[0] not in FRAMEWORKS, f"{path}:{line} imports {name}"


def test_algorithms_import_only_numpy_scipy_and_stdlib() -> None:
    for path, source in _house().items():
        if _package(path) != "algorithms":
            continue
        for name, _ in imports_of(source):
            top = name.split(".")[0]
            if top == "crowdloop":
                assert name.startswith("crowdloop.algorithms"), f"{path}: {name}"
            elif top not in ("numpy", "scipy"):
                assert _is_stdlib(name), f"{path}: {name}"


def test_import_crowdloop_does_not_import_torch() -> None:
    code = "import sys, crowdloop, crowdloop.app, crowdloop.cli.main; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _is_stdlib(name: str) -> bool:
    """``from os import path`` also yields ``os.path``: judge the top-level module."""
    top = name.split(".")[0]
    return top in sys.stdlib_module_names or top == "__future__"
