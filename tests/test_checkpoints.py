"""What a run writes to resume and to test: last.ckpt on a time interval, the best checkpoint on improvement."""

from __future__ import annotations

from pathlib import Path

import torch

from archbench.runner import train
from archbench.spec import RunSpec

QUIET = ("--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false")


def run(tmp_path: Path, *extra: str) -> Path:
    spec = RunSpec(arch="mlp", data="diabetes", trainer="cpu", max_epochs=3, log_root=str(tmp_path),
                   overrides=(*QUIET, *extra))  # fmt: skip
    record = train(spec)
    assert record.status == "ok", record.error
    return Path(record.log_dir) / "checkpoints"


def test_last_checkpoint_is_written_at_every_epoch_end_but_the_final_one_with_no_interval(tmp_path):
    saved = torch.load(run(tmp_path, "--last_checkpoint_s", "0") / "last.ckpt", weights_only=False)
    assert saved["epoch"] == 1, "the end of the second of three epochs was the last one written"
    assert saved["callbacks"], "the run's statistics and best-checkpoint state travel with it"


def test_a_short_run_writes_no_last_checkpoint_within_the_default_interval_and_one_best(tmp_path):
    checkpoints = run(tmp_path)
    assert not (checkpoints / "last.ckpt").exists()
    assert len(list(checkpoints.glob("best-*.ckpt"))) == 1
