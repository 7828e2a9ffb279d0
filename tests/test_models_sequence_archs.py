"""Elman RNN, TCN and Transformer: real fits, causality, the TCN's receptive field, and many-to-many outputs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import yaml

from archbench.applicability import applies
from archbench.errors import ArchbenchError
from archbench.models import LinearModel, TCNModel, TransformerModel
from archbench.models.tcn import receptive_field

NEW_ARCHS = ["rnn", "tcn", "transformer"]


@pytest.mark.parametrize("data", ["wine", "adding"])
@pytest.mark.parametrize("arch", NEW_ARCHS)
def test_new_arch_fits_tabular_and_sequence_data_with_finite_metrics(train_run, arch, data):
    record = train_run(arch, data, "--data.init_args.batch_size", "32", epochs=2)
    assert record["status"] == "ok", record["error"]
    primary = "test/mse" if data == "adding" else "test/accuracy"
    assert math.isfinite(record["metrics"][primary]) and math.isfinite(record["metrics"]["test/loss"])
    assert record["params"] > 0


def test_tcn_records_its_receptive_field_and_budgeted_width_in_the_run_hparams(train_run):
    options = ["--model.init_args.kernel_size", "2", "--model.init_args.num_levels", "5"]
    record = train_run("tcn", "sine", *options, "--model.init_args.param_budget", "5000")
    run_dir = Path(record["log_dir"])
    hparams = yaml.safe_load((run_dir / "hparams.yaml").read_text())
    assert hparams["receptive_field"] == 1 + 2 * 1 * (2**5 - 1) == 63
    assert hparams["channels"] != 32 and abs(record["params"] - 5000) <= 250
    # The checkpoint keeps the init args only, so it loads back into the same network.
    model = TCNModel.load_from_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    assert sum(p.numel() for p in model.parameters()) == record["params"]


def per_step_outputs(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.double().eval()(x)


@pytest.mark.parametrize(
    "build",
    [
        lambda: TCNModel(input_size=2, seq_len=30, target_steps=30, channels=8, num_levels=4, kernel_size=3),
        lambda: TransformerModel(input_size=2, seq_len=30, target_steps=30, d_model=16, nhead=2, causal=True),
        lambda: TransformerModel(input_size=2, seq_len=30, target_steps=30, positions="learned", causal=True),
    ],
    ids=["tcn", "transformer_sinusoidal", "transformer_learned"],
)
def test_changing_step_t_leaves_every_output_before_t_unchanged(build):
    model = build()
    x = torch.randn(16, 30, 2, dtype=torch.float64)
    changed = x.clone()
    changed[:, 17] += 1.0
    before, after = per_step_outputs(model, x), per_step_outputs(model, changed)
    assert before.shape == (16, 30, 1)
    torch.testing.assert_close(before[:, :17], after[:, :17], rtol=0, atol=0)
    assert (before[:, 17] - after[:, 17]).abs().max() > 0


def test_transformer_without_the_mask_lets_earlier_steps_see_later_ones():
    model = TransformerModel(input_size=2, seq_len=30, target_steps=30, causal=False)
    x = torch.randn(4, 30, 2, dtype=torch.float64)
    changed = x.clone()
    changed[:, 17] += 1.0
    assert (per_step_outputs(model, x)[:, :17] - per_step_outputs(model, changed)[:, :17]).abs().max() > 0


@pytest.mark.parametrize(("kernel_size", "num_levels"), [(2, 2), (3, 3), (4, 2), (2, 4)])
def test_tcn_receptive_field_formula_matches_the_furthest_step_that_sees_step_0(kernel_size, num_levels):
    field = receptive_field(kernel_size, num_levels)
    model = TCNModel(input_size=1, seq_len=field, target_steps=field, kernel_size=kernel_size, num_levels=num_levels)
    assert model.hparams["receptive_field"] == field
    # The blocks take any length: feed them more steps than the field, so the furthest reach is visible.
    x = torch.randn(32, 1, field + 8, dtype=torch.float64)
    changed = x.clone()
    changed[:, :, 0] += 1.0
    with torch.no_grad():
        blocks = model.blocks.double().eval()
        moved = (blocks(x) - blocks(changed)).abs().amax(dim=(0, 1))
    assert int(torch.nonzero(moved > 0).max()) == field - 1


def test_tcn_shorter_than_its_sequence_is_a_one_line_error():
    with pytest.raises(ArchbenchError) as error:
        TCNModel(input_size=2, seq_len=100, kernel_size=3, num_levels=4)
    message = str(error.value)
    assert "\n" not in message
    assert "receptive field 61" in message and "seq_len=100" in message and "num_levels or kernel_size" in message
    with pytest.raises(ArchbenchError, match="30 features read as steps"):
        TCNModel(input_size=30, num_levels=3, kernel_size=3)


def model_from_config(arch: str, **init_args: object) -> torch.nn.Module:
    """Instantiate ``configs/model/<arch>.yaml`` with extra init args, as the CLI would."""
    from archbench.configs import config_path

    config = yaml.safe_load(config_path("model", arch).read_text())
    module_name, class_name = config["class_path"].rsplit(".", 1)
    cls = getattr(__import__(module_name, fromlist=[class_name]), class_name)
    return cls(**{**config.get("init_args", {}), **init_args})


def available_archs() -> list[str]:
    from archbench.configs import available

    return available("model")


@pytest.mark.parametrize("budget", [2_000, 20_000, 70_000])
@pytest.mark.parametrize("arch", [a for a in available_archs() if a != "linear" and applies(a, "adding")])
def test_param_budget_lands_within_5_percent(arch, budget):
    model = model_from_config(arch, input_size=2, seq_len=50, param_budget=budget)
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert abs(count - budget) <= 0.05 * budget, (arch, budget, count)
    assert model(torch.randn(3, 50, 2)).shape == (3, 1)


def test_param_budget_on_copy_memory_sizes_a_tcn_as_bai_et_al():
    """Bai et al.'s copy-memory TCN: 8 levels, kernel 8, ~16K parameters, one prediction per step."""
    model = TCNModel(
        task="classification", input_size=1, seq_len=1020, output_size=10, target_steps=1020,
        kernel_size=8, num_levels=8, param_budget=16_000,
    )  # fmt: skip
    count = sum(p.numel() for p in model.parameters())
    assert abs(count - 16_000) <= 800 and model.hparams["channels"] in (10, 11)


def test_linear_has_a_fixed_size_so_a_budget_it_misses_is_a_one_line_error():
    assert sum(p.numel() for p in LinearModel(input_size=2, seq_len=50, param_budget=100).parameters()) == 101
    with pytest.raises(ArchbenchError, match="param_budget=2000 cannot be met within 5% by linear") as error:
        LinearModel(input_size=2, seq_len=50, param_budget=2_000)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("arch", available_archs())
def test_every_arch_predicts_each_target_step(arch):
    model = model_from_config(arch, task="classification", input_size=1, seq_len=12, output_size=10, target_steps=12)
    x = torch.randn(5, 12, 1)
    output = model(x)
    assert output.shape == (5, 12, 10)
    loss = model.loss(output, torch.randint(0, 10, (5, 12)))
    assert loss.ndim == 0 and math.isfinite(float(loss))


@pytest.mark.slow  # about 5 s alone, but 15-90 s on two busy cores
def test_tcn_beats_the_memoryless_baseline_on_short_copy_memory(train_run):
    t = 10
    record = train_run(
        "tcn", "copy_memory",
        "--data.init_args.memory_length", str(t), "--data.init_args.num_samples", "2000",
        "--model.init_args.lr", "0.01", "--data.init_args.batch_size", "32",
        epochs=6, tiny=False,
    )  # fmt: skip
    assert record["status"] == "ok", record["error"]
    baseline = record["baseline"]["test/loss_memoryless"]
    assert baseline == pytest.approx(10 * math.log(8) / (t + 20))
    assert record["metrics"]["test/loss"] < 0.5 * baseline, (record["metrics"]["test/loss"], baseline)
