"""What a run prints when its output goes to a log file: what a user reads, no progress bars, no dependency noise."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

from archbench.quiet import silence_dependency_noise

ARCHBENCH = str(Path(sys.executable).with_name("archbench"))


def test_a_run_logged_to_a_file_has_no_progress_bar_advertisement_or_deprecation(tmp_path):
    log = tmp_path / "run.log"
    with log.open("w") as handle:
        done = subprocess.run(
            [ARCHBENCH, "train", "--arch", "linear", "--data", "house_prices", "--max_epochs", "2", "--trainer", "cpu",
             "--log_root", str(tmp_path / "logs")],
            stdout=handle, stderr=subprocess.STDOUT, cwd=tmp_path, timeout=300,
        )  # fmt: skip
    text = log.read_text()
    assert done.returncode == 0, text[-2000:]
    assert "linear on house_prices (seed 0): ok" in text and "test/mse" in text
    for noise in ("it/s]", "Epoch 0:", "💡", "LeafSpec", "litlogger"):
        assert noise not in text, noise
    assert len(text) < 6000


def test_only_the_named_dependency_warning_is_silenced():
    silence_dependency_noise()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        silence_dependency_noise()  # after simplefilter: the filters are the newest again
        warnings.warn_explicit("`isinstance(treespec, LeafSpec)` is deprecated", FutureWarning, "x.py", 1,
                               module="lightning.pytorch.utilities._pytree")  # fmt: skip
        warnings.warn_explicit("`isinstance(treespec, LeafSpec)` is deprecated", FutureWarning, "y.py", 1,
                               module="archbench.mine")  # fmt: skip
        warnings.warn_explicit("something else", FutureWarning, "x.py", 2, module="lightning.pytorch.utilities._pytree")
    assert [str(w.message) for w in caught] == ["`isinstance(treespec, LeafSpec)` is deprecated", "something else"]
