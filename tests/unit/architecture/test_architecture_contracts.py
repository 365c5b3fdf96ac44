"""The layer contracts hold on the repo, and an upward import breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter not installed")


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache"], cwd=where, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(where), "PATH": "/usr/bin:/bin"})


def _copy(tmp_path: Path) -> Path:
    for name in ("bot", "dashboard"):
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_contracts_when_run_on_the_repo_then_all_kept() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "upward"), [
    ("bot/domain/model.py", "import bot.protection.coverage"),
    ("bot/protection/coverage.py", "import bot.store"),
    ("bot/decisions/sizing.py", "import bot.runtime.assembly"),
    ("dashboard/kpis.py", "import bot.exchange.binance_adapter"),
    ("bot/paper/clock.py", "import bot.domain"),
    ("bot/decisions/pipeline.py", "import flask"),
])
def test_contracts_when_a_module_imports_upward_then_broken(
    tmp_path: Path, module: str, upward: str,
) -> None:
    where = _copy(tmp_path)
    target = where / module
    target.write_text(target.read_text() + f"\n{upward}  # noqa\n")
    result = _lint(where)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
