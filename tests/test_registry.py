"""Adding an architecture is one module file plus one YAML: nothing else in archbench changes."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

from archbench.cli import main

REPO = Path(__file__).parents[1]
MODULE = '''
from torch import nn

from archbench.models.base import ArchModule


class WideLinear(ArchModule):
    """A throwaway architecture: one hidden layer, defined outside archbench."""

    arch_name = "widelinear"

    def __init__(self, width: int = 8, **kwargs) -> None:
        super().__init__(**kwargs)
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(self.flat_input_size, width), nn.ReLU(),
                                 nn.Linear(width, self.flat_output_size))

    def forward(self, x):
        return self.unflatten_output(self.net(x))
'''


def test_a_throwaway_architecture_from_its_own_files_trains_and_is_listed(tmp_path, monkeypatch, capsys):
    (tmp_path / "mynets.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    monkeypatch.setenv("ARCHBENCH_CONFIGS", "")  # restored after the test: --configs sets it for this process
    (configs / "model" / "widelinear.yaml").write_text("class_path: mynets.WideLinear\ninit_args:\n  width: 5\n")
    logs = tmp_path / "logs"
    args = ["--configs", str(configs), "--log_root", str(logs), "--trainer.enable_progress_bar", "false"]
    assert main(["train", "--arch", "widelinear", "--max_epochs", "1", *args]) == 0
    record = json.loads(next(logs.rglob("run.json")).read_text())
    assert (record["arch"], record["dataset"], record["status"]) == ("widelinear", "house_prices", "ok")
    assert record["params"] == 1 * 5 + 5 + 5 * 1 + 1
    capsys.readouterr()
    with contextlib.suppress(SystemExit):  # --help exits
        main(["train", "--help", "--configs", str(configs)])
    assert "widelinear" in capsys.readouterr().out
