"""Import direction: algorithms are pure; domains never import adapters or web frameworks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "crowdloop"
ADAPTERS = ("crowdloop.api", "crowdloop.cli", "crowdloop.web", "crowdloop.app")
FRAMEWORKS = ("fastapi", "starlette", "typer", "click", "jinja2", "uvicorn")
DOMAINS = (
    "accounts",
    "projects",
    "work",
    "results",
    "quality",
    "allocation",
    "ai",
    "files",
    "monitoring",
)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _files(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def test_algorithms_import_only_numpy_scipy_and_stdlib() -> None:
    allowed_third_party = ("numpy", "scipy")
    for path in _files("algorithms"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "crowdloop":
                assert name.startswith("crowdloop.algorithms"), f"{path}: {name}"
            else:
                assert top in allowed_third_party or _is_stdlib(top), f"{path}: {name}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_domains_do_not_import_adapters(domain: str) -> None:
    for path in _files(domain):
        for name in _imports(path):
            assert not name.startswith(ADAPTERS), f"{path} imports adapter {name}"
            assert name.split(".")[0] not in FRAMEWORKS, f"{path} imports framework {name}"


def test_import_crowdloop_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = "import sys, crowdloop, crowdloop.app, crowdloop.cli.main; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _is_stdlib(name: str) -> bool:
    import sys

    return name in sys.stdlib_module_names or name == "__future__"
