"""Several optimizer steps per Lightning step (``steps_per_call``) train exactly as one step per call does."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from archbench.errors import ArchbenchError
from archbench.runner import build_cli
from archbench.spec import RunSpec

# diabetes: 309 training rows in batches of 32 are 10 batches an epoch, so 4 steps per call end on a group of 2.
STEPS_EACH_EPOCH = 10
QUIET = ("--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false")


def fit(log_root: Path, steps_per_call: int, *extra: str):  # noqa: ANN201 - the CLI object of the run
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
            "3",
            *QUIET,
            *extra,
        ),  # fmt: skip
    )
    cli = build_cli(spec.lightning_args())
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
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
    "extra",
    [(), ("--trainer.gradient_clip_val", "0.05", "--model.init_args.lr_schedule", "cosine")],
    ids=["plain", "clipped-cosine"],
)
def test_four_steps_per_call_train_log_and_checkpoint_as_one_step_per_call(tmp_path, extra):
    one, four = (fit(tmp_path / f"k{k}", k, *extra) for k in (1, 4))
    assert four.model.automatic_optimization is False and one.model.automatic_optimization is True
    assert one.trainer.num_training_batches == STEPS_EACH_EPOCH  # the last group of 4 is incomplete
    assert four.trainer.global_step == one.trainer.global_step == 2 * STEPS_EACH_EPOCH
    for (name, p1), (_, p4) in zip(one.model.named_parameters(), four.model.named_parameters(), strict=True):
        assert torch.allclose(p1, p4, atol=1e-6), name

    logs_one, logs_four = scalars(one.trainer.log_dir), scalars(four.trainer.log_dir)
    assert logs_one.keys() == logs_four.keys()
    assert [s for s, _ in logs_one["train/loss_step"]] == [2, 5, 8, 11, 14, 17]  # every 3rd step
    for tag in logs_one:
        assert [s for s, _ in logs_four[tag]] == [s for s, _ in logs_one[tag]], tag
        for (_, v1), (_, v4) in zip(logs_one[tag], logs_four[tag], strict=True):
            assert v4 == pytest.approx(v1, rel=1e-5, abs=1e-6), tag
    if extra:  # the clipping bites: gradient norms above the limit were logged
        assert max(v for _, v in logs_one["train/grad_norm"]) > 0.05
        assert logs_one["lr-AdamW"][0][1] != logs_one["lr-AdamW"][1][1]

    saved_one, saved_four = (
        torch.load(Path(cli.trainer.log_dir) / "checkpoints" / "last.ckpt", weights_only=False) for cli in (one, four)
    )
    for key in ("state_dict", "optimizer_states", "lr_schedulers", "global_step", "epoch"):
        assert_same_tensors(saved_one[key], saved_four[key], key)


def test_steps_per_call_stops_at_max_steps_inside_a_call(tmp_path):
    cli = fit(tmp_path, 4, "--trainer.max_steps", "6")
    assert cli.trainer.global_step == 6


def test_steps_per_call_refuses_gradient_accumulation_it_cannot_do(tmp_path):
    with pytest.raises(ArchbenchError, match="accumulate_grad_batches"):
        fit(tmp_path, 4, "--trainer.accumulate_grad_batches", "2")


def test_steps_per_call_must_be_positive(tmp_path):
    with pytest.raises(ArchbenchError, match="steps_per_call must be > 0"):
        fit(tmp_path, 0)
