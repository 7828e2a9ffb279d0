"""Several optimizer steps per Lightning step (``steps_per_call``) train exactly as one step per call does."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from archbench.assemble import Assembled, assemble
from archbench.errors import ArchbenchError
from archbench.resolve import resolve
from archbench.spec import RunSpec

# diabetes: 310 training rows in batches of 32 are 10 batches an epoch, so 4 steps per call end on a group of 2.
STEPS_EACH_EPOCH = 10
QUIET = ("--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false")


def build(log_root: Path, steps_per_call: int, *extra: str, log_every: int = 3) -> Assembled:
    spec = RunSpec(
        arch="mlp",
        data="diabetes",
        trainer="cpu",
        max_epochs=2,
        log_root=str(log_root),
        overrides=(
            "--model.init_args.steps_per_call",
            str(steps_per_call),
            "--trainer.log_every_n_steps",
            str(log_every),
            *QUIET,
            *extra,
        ),  # fmt: skip
    )
    return assemble(resolve(spec))


def fit(log_root: Path, steps_per_call: int, *extra: str, log_every: int = 3) -> Assembled:
    cli = build(log_root, steps_per_call, *extra, log_every=log_every)
    cli.trainer.fit(cli.model, datamodule=cli.data)
    return cli


def scalars(log_dir: str) -> dict[str, list[tuple[int, float]]]:
    events = EventAccumulator(log_dir, size_guidance={"scalars": 0}).Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def assert_same_tensors(a: object, b: object, where: str = "") -> None:
    """Nested dicts/lists of tensors and plain values: equal structure, tensors within float tolerance."""
    if isinstance(a, torch.Tensor):
        assert torch.allclose(a, b, atol=1e-6), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same_tensors(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_tensors(x, y, f"{where}[{i}]")
    else:
        assert a == pytest.approx(b, abs=1e-6) if isinstance(a, float) else a == b, where


@pytest.mark.parametrize(
    ("extra", "log_every"),
    [
        ((), 3),
        (("--trainer.gradient_clip_val", "0.05", "--model.init_args.lr_schedule", "cosine"), 3),
        ((), 4),  # every 4th step: the last of a call, so a call ends on a step whose logs are written
    ],
    ids=["plain", "clipped-cosine", "written-at-call-end"],
)
def test_four_steps_per_call_train_log_and_checkpoint_as_one_step_per_call(tmp_path, extra, log_every):
    one, four = (fit(tmp_path / f"k{k}", k, *extra, log_every=log_every) for k in (1, 4))
    assert four.model.automatic_optimization is False and one.model.automatic_optimization is True
    assert one.trainer.num_training_batches == STEPS_EACH_EPOCH  # the last group of 4 is incomplete
    assert four.trainer.global_step == one.trainer.global_step == 2 * STEPS_EACH_EPOCH
    for (name, p1), (_, p4) in zip(one.model.named_parameters(), four.model.named_parameters(), strict=True):
        assert torch.allclose(p1, p4, atol=1e-6), name

    logs_one, logs_four = scalars(one.trainer.log_dir), scalars(four.trainer.log_dir)
    assert logs_one.keys() == logs_four.keys()
    written = list(range(log_every - 1, 2 * STEPS_EACH_EPOCH, log_every))  # [2, 5, 8, ...] for every 3rd step
    assert [s for s, _ in logs_one["train/loss_step"]] == written
    assert [s for s, _ in logs_one["train/grad_norm"]] == written
    for tag in logs_one:
        assert [s for s, _ in logs_four[tag]] == [s for s, _ in logs_one[tag]], tag
        for (_, v1), (_, v4) in zip(logs_one[tag], logs_four[tag], strict=True):
            assert v4 == pytest.approx(v1, rel=1e-5, abs=1e-6), tag
    if extra:  # the clipping bites: gradient norms above the limit were logged
        assert max(v for _, v in logs_one["train/grad_norm"]) > 0.05
        assert logs_one["lr-AdamW"][0][1] != logs_one["lr-AdamW"][1][1]

    saved_one, saved_four = (
        torch.load(cli.trainer.checkpoint_callback.best_model_path, weights_only=False) for cli in (one, four)
    )
    for key in ("state_dict", "optimizer_states", "lr_schedulers", "global_step", "epoch"):
        assert_same_tensors(saved_one[key], saved_four[key], key)


@pytest.mark.parametrize("steps_per_call", [1, 4])
def test_epoch_loss_weights_every_sample_equally_when_a_call_mixes_batch_sizes(tmp_path, steps_per_call):
    cli = fit(tmp_path, steps_per_call, log_every=1)  # every step's loss is written
    sizes = [len(x) for x, _ in cli.data.train_dataloader()]
    assert sizes[-2] == 32 > sizes[-1]  # with 4 steps per call, the last call holds a full batch and a smaller one
    logs = scalars(cli.trainer.log_dir)
    for epoch in range(2):
        step_losses = [v for s, v in logs["train/loss_step"] if s // STEPS_EACH_EPOCH == epoch]
        expected = sum(n * loss for n, loss in zip(sizes, step_losses, strict=True)) / sum(sizes)
        epoch_step, epoch_loss = logs["train/loss_epoch"][epoch]
        assert epoch_step == (epoch + 1) * STEPS_EACH_EPOCH - 1
        assert epoch_loss == pytest.approx(expected, rel=1e-6)
        assert epoch_loss != pytest.approx(sum(step_losses) / len(step_losses), rel=1e-6)  # not the mean of steps


class CountedBatchTransfer:
    """Mixed into a DataModule: overrides two batch-transfer hooks, counts their calls and halves the inputs."""

    before = after = 0

    def on_before_batch_transfer(self, batch, dataloader_idx):  # noqa: ANN001, ANN201 - Lightning's hook
        self.before += 1
        return batch

    def on_after_batch_transfer(self, batch, dataloader_idx):  # noqa: ANN001, ANN201 - Lightning's hook
        self.after += 1
        x, y = batch
        return x * 0.5, y


def test_steps_per_call_calls_a_datamodules_batch_transfer_hooks_on_every_batch(tmp_path):
    runs = []
    for k in (1, 4):
        cli = build(tmp_path / f"k{k}", k)
        data = copy.copy(cli.data)  # the process keeps cli.data for its next run on this data: count on a copy
        data.__class__ = type(f"Counted{type(data).__name__}", (CountedBatchTransfer, type(data)), {})
        cli.trainer.fit(cli.model, datamodule=data)
        runs.append((cli.model, data))
    (one, one_data), (four, four_data) = runs
    assert four_data.before == one_data.before == four_data.after == one_data.after
    assert one_data.before > 2 * STEPS_EACH_EPOCH  # the training batches, and validation's
    for (name, p1), (_, p4) in zip(one.named_parameters(), four.named_parameters(), strict=True):
        assert torch.allclose(p1, p4, atol=1e-6), name


def test_steps_per_call_stops_at_max_steps_inside_a_call(tmp_path):
    cli = fit(tmp_path, 4, "--trainer.max_steps", "6")
    assert cli.trainer.global_step == 6


def test_steps_per_call_refuses_gradient_accumulation_it_cannot_do(tmp_path):
    with pytest.raises(ArchbenchError, match="accumulate_grad_batches"):
        fit(tmp_path, 4, "--trainer.accumulate_grad_batches", "2")


def test_steps_per_call_must_be_positive(tmp_path):
    with pytest.raises(ArchbenchError, match="steps_per_call must be > 0"):
        fit(tmp_path, 0)
