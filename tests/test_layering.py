"""DESIGN §2: store imports nothing of ours, importers only store, and only tui imports Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"tui", "store", "importers"}
ALLOWED = {"store": {"store"}, "importers": {"store", "importers"}}


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_respect_layers(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules found under {package}/"
    for path in files:
        imported = _imported_top_levels(path)
        assert "textual" not in imported and "textual_plotext" not in imported, (
            f"{path.relative_to(ROOT)} imports Textual"
        )
        assert "textual_fastdatatable" not in imported, f"{path.relative_to(ROOT)} imports a widget"
        forbidden = (imported & OURS) - ALLOWED[package]
        assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def test_importing_every_core_module_loads_no_textual() -> None:
    modules = [
        f"{p.parent.name}.{p.stem}" if p.stem != "__init__" else p.parent.name
        for pkg in ALLOWED
        for p in sorted((ROOT / pkg).glob("*.py"))
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'textual_plotext', 'textual_fastdatatable'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"Textual loaded by core modules: {out.stdout.strip()}"


def test_headless_cli_commands_load_no_textual() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from tui.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('textual'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"the headless CLI loads Textual: {out.stdout.strip()}"
