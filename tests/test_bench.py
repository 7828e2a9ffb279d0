"""`make bench` in quick mode: it runs and prints a ratio for every case; no timing is asserted."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
# "(a) MLP 8-64-64-1, table    1,012    404    2.62  (2.40-2.79)"
RATIO_ROW = re.compile(r"^\(([abc])\) (.+?)\s+[\d,]+\s+[\d,]+\s+(\S+)\s+\(", re.MULTILINE)


def test_quick_bench_prints_a_finite_positive_ratio_for_mlp_lstm_and_tensorboard():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = RATIO_ROW.findall(done.stdout)
    assert [(letter, name.split()[0]) for letter, name, _ in rows] == [
        ("a", "MLP"),
        ("b", "LSTM"),
        ("c", "MLP"),
        ("c", "LSTM"),
    ], done.stdout
    assert all("TensorBoard" in name for letter, name, _ in rows if letter == "c"), done.stdout
    for _, name, ratio in rows:
        assert math.isfinite(float(ratio)) and float(ratio) > 0, f"{name}: ratio {ratio}"
    assert "MLPRegressor" in done.stdout
