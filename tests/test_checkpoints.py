"""What a run writes to resume and to test: last.ckpt on a time interval and at the end, the best on improvement."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch

from archbench.runner import train
from archbench.spec import RunSpec

QUIET = ("--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false")


def run(tmp_path: Path, monkeypatch, *extra: str) -> tuple[Path, list[str]]:  # noqa: ANN001 - pytest's fixture
    """A 3-epoch run; the names of the checkpoint files it wrote, in order."""
    written: list[str] = []
    save = L.Trainer.save_checkpoint

    def counted(self: L.Trainer, path: str | Path, *args: object, **kwargs: object) -> None:
        written.append(Path(path).name)
        save(self, path, *args, **kwargs)

    monkeypatch.setattr(L.Trainer, "save_checkpoint", counted)
    spec = RunSpec(arch="mlp", data="diabetes", trainer="cpu", max_epochs=3, log_root=str(tmp_path),
                   overrides=(*QUIET, *extra))  # fmt: skip
    record = train(spec)
    assert record.status == "ok", record.error
    return Path(record.log_dir) / "checkpoints", written


def test_a_short_run_writes_last_once_at_the_end_and_the_best_only_when_it_improves(tmp_path, monkeypatch):
    checkpoints, written = run(tmp_path, monkeypatch)
    assert written.count("last.ckpt") == 1 and written[-1] == "last.ckpt"
    assert torch.load(checkpoints / "last.ckpt", weights_only=False)["global_step"] == 3 * 10  # 10 batches an epoch
    best = [name for name in written if name.startswith("best-")]
    assert 1 <= len(best) <= 3 and len(list(checkpoints.glob("best-*.ckpt"))) == 1


def test_with_no_interval_last_is_written_at_every_epoch_end(tmp_path, monkeypatch):
    checkpoints, written = run(tmp_path, monkeypatch, "--last_checkpoint_s", "0")
    assert written.count("last.ckpt") == 3  # after epochs 1 and 2, and at the end
    assert torch.load(checkpoints / "last.ckpt", weights_only=False)["callbacks"], "the run's statistics travel with it"
