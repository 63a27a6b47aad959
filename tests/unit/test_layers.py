"""The layer rules of DESIGN.md, enforced by reading every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# package prefix → prefixes it must never import
FORBIDDEN = {
    "bench.protocols": ["bench.drivers", "bench.rig", "bench.streams", "bench.analysis", "bench.sequences",
                        "bench.reports", "bench.cli", "bench.config", "gui", "hil_mocks"],
    "bench.analysis": ["bench.protocols", "bench.drivers", "bench.rig", "bench.streams", "bench.sequences",
                       "bench.reports", "bench.cli", "bench.config", "gui", "hil_mocks"],
    "bench.drivers": ["bench.rig", "bench.sequences", "bench.reports", "bench.cli", "gui", "hil_mocks"],
    "bench.streams": ["bench.rig", "bench.sequences", "bench.reports", "bench.cli", "gui", "hil_mocks"],
    "bench.errors": ["bench.", "gui", "hil_mocks"],
    "bench.units": ["bench.", "gui", "hil_mocks"],
    "gui": ["bench.protocols", "bench.drivers", "hil_mocks"],
    "hil_mocks": ["bench.drivers", "bench.rig", "bench.sequences", "bench.streams", "bench.reports",
                  "bench.cli", "gui"],
}
# what a layer may import from the project at all (None: anything not forbidden)
ALLOWED_ONLY = {
    "bench.protocols": ["bench.errors", "bench.units", "bench.protocols"],
    "bench.analysis": ["bench.units", "bench.analysis", "bench.errors"],
}


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def _ours(name: str) -> bool:
    return name == "bench" or name.startswith(("bench.", "gui", "hil_mocks"))


def _violations(root: Path = ROOT) -> list[str]:
    bad = []
    for top in ("bench", "gui", "hil_mocks"):
        for path in sorted((root / top).rglob("*.py")):
            module = _module_name(path, root)
            for layer, forbidden in FORBIDDEN.items():
                if not (module == layer or module.startswith(layer + ".")):
                    continue
                for line, name in _imports(path, root):
                    if not _ours(name):
                        continue
                    if any(name == f.rstrip(".") or name.startswith(f if f.endswith(".") else f + ".")
                           or name == f for f in forbidden):
                        bad.append(f"{path.relative_to(root)}:{line}: {layer} must not import {name}")
                    allowed = ALLOWED_ONLY.get(layer)
                    if allowed and not any(name == a or name.startswith(a + ".") for a in allowed):
                        bad.append(f"{path.relative_to(root)}:{line}: {layer} may import only {allowed}, not {name}")
    return bad


def test_layer_rules_hold():
    assert _violations() == []


def test_checker_sees_a_violation(tmp_path):
    """The checker itself must catch a forbidden import (so the test above can fail)."""
    protocols = tmp_path / "bench" / "protocols"
    protocols.mkdir(parents=True)
    (protocols / "probe.py").write_text("from bench.drivers import x\nfrom ..analysis import y\n",
                                        encoding="utf-8")
    assert _violations(tmp_path) == [
        "bench/protocols/probe.py:1: bench.protocols must not import bench.drivers",
        "bench/protocols/probe.py:1: bench.protocols may import only "
        "['bench.errors', 'bench.units', 'bench.protocols'], not bench.drivers",
        "bench/protocols/probe.py:2: bench.protocols must not import bench.analysis",
        "bench/protocols/probe.py:2: bench.protocols may import only "
        "['bench.errors', 'bench.units', 'bench.protocols'], not bench.analysis",
    ]
