"""The shape of the house (DESIGN.md), checked by walking the imports of every module.

Domains depend one way: ``accounts <- courses <- quizzes, live, plans <- certificates``, and
``reports`` reads everything while nothing imports it. ``core`` is shared by all and imports
no domain. Services hold the business rules and import no Flask.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "learning"

# A domain may import the domains of lower layers only. A new domain gets a layer here.
DOMAIN_LAYERS = {
    "accounts": 0,
    "courses": 1,
    "quizzes": 2,
    "live": 2,
    "plans": 2,
    "certificates": 3,
    "reports": 4,
}
# Shared code: may import no domain at all.
SHARED = {"core", "extensions"}
# Entry points that assemble the domains; they may import any domain but reports.
ENTRY_POINTS = {"api"}
# The composition root (create_app) and the demo data loader may import anything.
ROOTS = {"__init__", "demo"}
NOT_CODE = {"templates", "static", "translations", "__pycache__"}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, module: str | None = None) -> set[str]:
    """Every module ``path`` imports, anywhere in the file, with relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    module = module or module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            found.add(target)
            # ``from learning import courses`` imports a domain too.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def area_of(module: str) -> str | None:
    """The top-level part of ``learning`` a module belongs to (``accounts``, ``core`` ...)."""
    parts = module.split(".")
    if parts[0] != "learning":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def domains_imported(path: Path) -> set[str]:
    return {
        area for area in (area_of(name) for name in imported_modules(path)) if area in DOMAIN_LAYERS
    }


def test_every_part_of_the_package_is_classified():
    """A new package must be given its place (a domain layer, shared, or an entry point)."""
    known = set(DOMAIN_LAYERS) | SHARED | ENTRY_POINTS | ROOTS | NOT_CODE
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    unknown = {part for part in parts if part not in known and not part.startswith(".")}
    assert not unknown, f"classify these in tests/test_architecture.py: {sorted(unknown)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_domain_dependencies_point_one_way(path):
    own = area_of(module_name(path))
    imported = domains_imported(path) - {own}
    if own in DOMAIN_LAYERS:
        wrong = {d for d in imported if DOMAIN_LAYERS[d] >= DOMAIN_LAYERS[own]}
        assert not wrong, f"{own} may not import {sorted(wrong)} (layers: {DOMAIN_LAYERS})"
    elif own in SHARED:
        assert not imported, f"{own} is shared by every domain and may import none: {imported}"
    elif own in ENTRY_POINTS:
        assert "reports" not in imported, "nothing imports reports"


@pytest.mark.parametrize(
    "path",
    [p for p in modules() if p.name in {"services.py", "models.py"}],
    ids=lambda p: str(p.relative_to(PACKAGE.parent)),
)
def test_services_and_models_import_no_flask(path):
    flask_imports = {
        name
        for name in imported_modules(path)
        if name.split(".")[0] == "flask" or name.split(".")[0].startswith("flask_")
    }
    assert not flask_imports, f"{path.name} must not import {sorted(flask_imports)}"


def test_the_rules_catch_a_violation(tmp_path):
    """The checker itself: a service importing Flask and a lower domain importing a higher."""
    bad = tmp_path / "services.py"
    bad.write_text(
        "from flask import request\n"
        "import flask_login\n"
        "def f():\n"
        "    from learning.courses import services\n"
        "    from learning import reports\n"
        "from ..plans import models\n"
        "from . import forms\n"
    )
    names = imported_modules(bad, "learning.accounts.services")
    assert {"flask", "flask_login", "learning.courses", "learning.reports"} <= names
    assert {"learning.plans.models", "learning.accounts.forms"} <= names
    found = {area_of(n) for n in names if area_of(n) in DOMAIN_LAYERS}
    assert found == {"accounts", "courses", "reports", "plans"}
