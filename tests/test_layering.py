"""The import rules of docs/architecture.md, checked over the source of every package.

Each rule names who may not import what. The graph is read with `ast` from the files themselves
(imports inside functions included), so a rule cannot be broken by an import that only runs
sometimes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("university_local", "scorm_player", "client", "sync", "tui")
FEATURES = sorted(p.name for p in (ROOT / "university_local").iterdir()
                  if p.is_dir() and (p / "__init__.py").exists() and p.name not in {"core", "migrations"})
# The modules that compose the app and serve it: the only ones above the features.
TOP_FLOOR = {"university_local.app", "university_local.wsgi", "university_local.server", "university_local.lan",
             "university_local.cli", "university_local.demo", "university_local.__main__"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports (a module, or a module's name)
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> list[Import]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = _module_name(path)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    found += [Import(module, alias.name, node.lineno) for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found += [Import(module, f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
    return found


IMPORTS = _imports()


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _feature_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "university_local" and parts[1] in FEATURES else None


def _breaking(who: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    return [f"{i.module}:{i.line} imports {i.target}" for i in IMPORTS
            if _within(i.module, who) and not any(_within(i.module, a) for a in allowed)
            and any(_within(i.target, f) for f in forbidden)]


def test_the_graph_is_read() -> None:
    """The rules below check something: the graph has the imports everyone knows are there."""
    targets = {(i.module, i.target) for i in IMPORTS}
    assert ("university_local.app", "university_local.core.routing.mount") in targets
    assert any(_within(t, "university_local.core.db") for m, t in targets if m == "university_local.courses.service")
    assert len(FEATURES) >= 15


def test_core_imports_no_feature() -> None:
    """core/ is the ground floor: features plug in through core.features, never the other way."""
    assert _breaking("university_local.core", tuple(f"university_local.{f}" for f in FEATURES)) == []


def test_core_imports_nothing_above_the_server() -> None:
    assert _breaking("university_local.core", ("university_local.app", "university_local.cli", "sync", "tui",
                                                "client")) == []


def test_features_do_not_import_bottle() -> None:
    """Routes reach the request through core's Request and answer with Reply; only core speaks WSGI."""
    assert _breaking("university_local", ("bottle",), allowed=("university_local.core", *TOP_FLOOR)) == []


@pytest.mark.parametrize("feature", FEATURES)
def test_services_are_surface_neutral(feature: str) -> None:
    """A feature's rules and SQL (service.py and what it uses) never import a surface's shaping or
    routes, its own or another's: services return records, each surface shapes them."""
    surfaces = tuple(f"university_local.{f}.{m}" for f in FEATURES for m in ("resources", "routes", "feature"))
    surfaces += tuple(f"university_local.{f}.runtime_routes" for f in FEATURES)
    breaking = [f"{i.module}:{i.line} imports {i.target}" for i in IMPORTS
                if _feature_of(i.module) == feature and i.module.rsplit(".", 1)[-1] not in
                {"resources", "routes", "runtime_routes", "feature"}
                and any(_within(i.target, s) for s in surfaces)]
    assert breaking == []


def test_no_feature_imports_another_features_routes() -> None:
    breaking = [f"{i.module}:{i.line} imports {i.target}" for i in IMPORTS
                if _feature_of(i.module) and _feature_of(i.target)
                and _feature_of(i.module) != _feature_of(i.target)
                and i.target.split(".")[2] in {"routes", "runtime_routes", "feature"}]
    assert breaking == []


def test_the_server_imports_neither_the_tui_nor_the_client() -> None:
    assert _breaking("university_local", ("tui", "client")) == []


def test_sync_reaches_the_server_only_from_its_top_floor() -> None:
    assert _breaking("university_local", ("sync",), allowed=tuple(TOP_FLOOR)) == []


def test_scorm_player_knows_nothing_of_the_others() -> None:
    assert _breaking("scorm_player", ("university_local", "client", "sync", "tui")) == []


def test_the_client_depends_on_http_only() -> None:
    assert _breaking("client", ("university_local", "scorm_player", "sync", "tui", "bottle")) == []


def test_the_tui_talks_to_the_server_through_the_client() -> None:
    assert _breaking("tui", ("university_local", "scorm_player", "sync", "bottle", "sqlite3")) == []


def test_sync_does_not_import_the_tui() -> None:
    assert _breaking("sync", ("tui",)) == []
