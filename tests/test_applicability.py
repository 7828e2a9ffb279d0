"""Where each architecture applies, the placebo's own seeds, and the placebo's false-verdict rate."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from archbench.applicability import applies, arch_facts, model_config, placebo_pairs
from archbench.configs import available
from archbench.errors import ArchbenchError
from archbench.report.placebo import placebo_rate
from archbench.report.verdicts import CANNOT_TELL, DIFFER, SIMILAR
from archbench.spec import RunSpec, build_study

REPO = Path(__file__).parents[1]


@pytest.mark.parametrize(
    ("arch", "dataset", "expected"),
    [
        ("ft_transformer", "wine", True),  # a table
        ("tab_resnet", "diabetes", True),
        ("ft_transformer", "gunpoint", False),  # a series to classify
        ("lstm", "wine", True),  # reads a row's features as a sequence
        ("tcn", "wine", False),
        ("tcn", "nile", True),
        ("fcn", "tecator", True),  # series regression
        ("fcn", "elnino", False),  # forecasting
        ("mlp_placebo", "elnino", True),
        ("ft_transformer", "csv", True),  # no catalogue facts: every architecture
    ],
)
def test_applies_reads_the_model_facts_and_the_dataset_catalogue(arch, dataset, expected):
    assert applies(arch, dataset) is expected


@pytest.mark.parametrize("arch", available("model"))
def test_every_architecture_states_where_it_applies(arch):
    facts = arch_facts(arch)
    assert facts.families and facts.tasks
    assert "study" not in model_config(arch) and set(model_config(arch)) <= {"class_path", "init_args"}


def test_a_study_runs_each_architecture_where_it_applies_and_records_the_rest(tmp_path):
    study_file = tmp_path / "mixed.yaml"
    study_file.write_text("archs: [mlp, mlp_placebo, tab_resnet, tcn]\ndatasets: [wine, gunpoint]\nseeds: 2\n")
    study = build_study(str(study_file), {}, [])
    assert study.not_applicable == ["wine/tcn", "gunpoint/tab_resnet"]
    pairs = {(c.dataset, c.arch) for c in study.cells()}
    assert pairs == {(d, a) for d in ("wine", "gunpoint") for a in ("mlp", "mlp_placebo")} | {
        ("wine", "tab_resnet"),
        ("gunpoint", "tcn"),
    }
    assert len(study.cells()) == 2 * len(pairs)


def test_a_study_with_nothing_to_run_on_a_dataset_is_a_one_line_error(tmp_path):
    study_file = tmp_path / "nothing.yaml"
    study_file.write_text("archs: [tcn, fcn]\ndatasets: [wine]\nseeds: 1\nbaselines: []\n")
    with pytest.raises(ArchbenchError, match="no architecture of this study applies to wine"):
        build_study(str(study_file), {}, [])


def test_the_placebo_trains_on_its_own_seeds_and_the_mlp_on_the_studys(tmp_path):
    study_file = tmp_path / "placebo.yaml"
    study_file.write_text("archs: [mlp, mlp_placebo]\ndatasets: [wine]\nseeds: 3\nbaselines: [sk_linear]\n")
    study = build_study(str(study_file), {}, [])
    seeds = {arch: [study.run_spec(c).seed for c in study.cells() if c.arch == arch] for arch in study.archs}
    assert seeds["mlp"] == [0, 1, 2] and seeds["mlp_placebo"] == [1000, 1001, 1002]
    assert [study.run_spec(c).seed for c in study.cells() if c.is_baseline] == [0, 1, 2]
    assert placebo_pairs(study.archs) == [("mlp", "mlp_placebo")]
    # The model YAML handed to LightningCLI carries no study facts, only the MLP's settings.
    args = RunSpec(arch="mlp_placebo", data="wine").lightning_args()
    assert json.loads(args[args.index("--model") + 1]) == model_config("mlp")


def test_unknown_or_wrong_study_facts_are_one_line_errors(tmp_path, monkeypatch):
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    monkeypatch.setenv("ARCHBENCH_CONFIGS", str(configs))
    mlp = (configs / "model" / "mlp.yaml").read_text().split("study:")[0]
    cases = {
        "study:\n  family: [table]\n": "unknown key 'family'; allowed: families, tasks, seed_offset, placebo_of",
        "study:\n  families: [tables]\n": "families ['tables']; allowed: one or more of table, sequence",
        "study:\n  seed_offset: -1\n": "seed_offset -1; allowed: an integer >= 0",
    }
    for facts, message in cases.items():
        (configs / "model" / "mine.yaml").write_text(mlp + facts)
        with pytest.raises(ArchbenchError, match=re.escape(message)) as error:
            applies("mine", "wine")
        assert "\n" not in str(error.value)


def test_applicability_answers_without_importing_torch():
    probe = "import sys; from archbench.spec import build_study; build_study('answer', {}, []).cells(); "
    probe += "assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True)


def results_rows(values: dict[str, dict[str, list[float]]], seeds: dict[str, list[int]]) -> list[dict[str, str]]:
    """A results.csv as rows: accuracy of each arch on each dataset, one row per seed."""
    rows = []
    for dataset, by_arch in values.items():
        for arch, accuracies in by_arch.items():
            for seed, accuracy in zip(seeds[arch], accuracies, strict=True):
                status = "ok" if np.isfinite(accuracy) else "failed"
                rows.append({"dataset": dataset, "arch": arch, "kind": "model", "seed": str(seed), "status": status,
                             "test_accuracy": str(accuracy) if status == "ok" else "", "test_mse": ""})  # fmt: skip
    return rows


SEEDS = {"mlp": [0, 1, 2], "mlp_placebo": [1000, 1001, 1002], "lstm": [0, 1, 2]}


def test_placebo_rate_counts_the_datasets_called_differ_among_those_tested():
    values = {
        "apart": {"mlp": [0.90, 0.91, 0.92], "mlp_placebo": [0.60, 0.61, 0.62]},
        "same": {"mlp": [0.9000, 0.9001, 0.9002], "mlp_placebo": [0.9001, 0.9000, 0.9002]},
        "noisy": {"mlp": [0.5, 0.9, 0.7], "mlp_placebo": [0.6, 0.8, 0.7]},
        "one_left": {"mlp": [0.9, 0.91, 0.92], "mlp_placebo": [0.8, float("nan"), float("nan")]},
        "no_placebo": {"mlp": [0.9, 0.91, 0.92], "lstm": [0.5, 0.5, 0.6]},
    }
    result = placebo_rate(results_rows(values, SEEDS))
    assert result.verdicts == {"apart": DIFFER, "same": SIMILAR, "noisy": "inconclusive", "one_left": CANNOT_TELL,
                               "no_placebo": CANNOT_TELL}  # fmt: skip
    assert result.tested == ["apart", "noisy", "same"] and result.differ == ["apart"]
    assert result.rate == pytest.approx(1 / 3)
    assert np.isnan(placebo_rate(results_rows({"x": values["no_placebo"]}, SEEDS)).rate)


def test_placebo_rate_matches_scipys_welch_test_on_simulated_null_datasets():
    """Placebo and MLP drawn from one distribution on 300 datasets: "differ" exactly where the minimum-effect test,
    scipy's one-sided Welch test of |D| beyond the margin, has p < 0.05 (one pair: Holm changes nothing); the margin is
    far below the noise, so that is about 10% of the datasets (one side of a two-sided 10% test)."""
    rng = np.random.default_rng(0)
    draws = rng.normal(0.8, 0.05, size=(300, 2, 3))
    values = {f"d{i:03d}": {"mlp": list(d[0]), "mlp_placebo": list(d[1])} for i, d in enumerate(draws)}
    margin = 1e-4
    result = placebo_rate(results_rows(values, SEEDS), margin=margin)
    welch = []
    for i, (mlp, placebo) in enumerate(draws):
        side = np.sign(placebo.mean() - mlp.mean())
        p = stats.ttest_ind(side * placebo - margin, side * mlp, equal_var=False, alternative="greater").pvalue
        welch += [f"d{i:03d}"] if p < 0.05 else []
    assert result.differ == welch
    assert len(result.tested) == 300 and 0.06 <= result.rate <= 0.14
