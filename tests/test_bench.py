"""`make bench` in quick mode: it runs and prints a ratio for every case; no timing is asserted."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
# "    MLP 8-64-64-1, table, K=4    1,012    404    2.62  (2.40-2.79)"
RATIO_ROW = re.compile(r"^    (\w+) .+?, K=(\d+)\s+[\d,]+\s+[\d,]+\s+(\S+)\s+\(", re.MULTILINE)
NUMBER = r"([\d.]+)"


def bench(*options: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", *options],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_quick_bench_prints_a_finite_positive_ratio_per_step_for_each_steps_per_call_and_the_lstm():
    output = bench("--skip-runs")
    rows = RATIO_ROW.findall(output)
    assert [(name, int(k)) for name, k, _ in rows] == [("MLP", 1), ("MLP", 4), ("MLP", 16), ("LSTM", 1)], output
    for name, k, ratio in rows:
        assert math.isfinite(float(ratio)) and float(ratio) > 0, f"{name} K={k}: ratio {ratio}"
    assert "MLPRegressor" in output


@pytest.mark.slow
def test_quick_bench_times_a_whole_run_a_grid_with_one_and_two_jobs_and_the_share_outside_training():
    output = bench("--skip-sklearn")
    command, fit, ratio = re.search(
        rf"whole command {NUMBER} s; its fit .*? {NUMBER} s; ratio {NUMBER}", output
    ).groups()
    assert float(command) > float(fit) > 0 and float(ratio) == pytest.approx(float(command) / float(fit), rel=0.1)
    assert re.search(rf"import lightning'` {NUMBER} s", output), output
    one, two, speedup = re.search(rf"--jobs 1 {NUMBER} s, --jobs 2 {NUMBER} s: speed-up {NUMBER}", output).groups()
    assert float(speedup) == pytest.approx(float(one) / float(two), rel=0.05), output
    assert "(2 cells)" in output, output
    lines = re.findall(
        rf"^    (--jobs \d|SLURM array.*?tasks) .*training and testing {NUMBER} s: (\d+)% outside", output, re.M
    )
    assert [label for label, _, _ in lines][:2] == ["--jobs 1", "--jobs 2"], output
    assert all(float(inside) > 0 and 0 <= int(share) <= 100 for _, inside, share in lines), output
    assert "(4 cells)" in output and "SLURM array" in output, output
