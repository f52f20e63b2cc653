"""A smoke run of the benchmarks (the real ones are `python -m bench.run`, not part of CI)."""

import subprocess
import sys

from tests.conftest import PROJECT, subprocess_env


def test_bench_quick_run():
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick"],
        cwd=PROJECT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert '"ours_exact_records": 40' in result.stdout
