"""The tree stays lint-clean: ruff (pinned in requirements-dev.txt) runs as part of the suite."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT


def ruff() -> str:
    candidate = Path(sys.executable).with_name("ruff")
    found = str(candidate) if candidate.exists() else shutil.which("ruff")
    assert found, "ruff is not installed: pip install -r requirements-dev.txt"
    return found


def test_ruff_check():
    result = subprocess.run([ruff(), "check", "."], cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format():
    result = subprocess.run([ruff(), "format", "--check", "."], cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
