"""A table's feature columns made model inputs: fitted on the training rows only, saved as JSON, applied to any rows.

``fit_preprocessing`` fits one scikit-learn ``ColumnTransformer`` on the training rows:

- numeric columns: ``SimpleImputer(add_indicator=True)`` when gaps are imputed, then ``StandardScaler``;
- text, boolean and pandas categorical columns: ``OrdinalEncoder`` with an unknown code for categories not seen in
  training, for gaps and for categories seen fewer than ``min_frequency`` times (infrequent).

What it fitted becomes a ``Preprocessing``, which transforms rows by itself (``transform``), so training, the
baselines and a later ``archbench predict`` apply the same state. Its output, for every path, is a float matrix
(N, F_num + F_cat): the scaled numeric columns first, then one 0/1 missing indicator per numeric column that had gaps
in training, then the F_cat categorical columns as integer codes, 0 the unknown/missing/infrequent code and
1..K the categories in ``categories`` order (``cardinality`` K + 1).

The file ``preprocessing.json`` in a run folder (format ``archbench-preprocessing``, version 1)::

    {
      "format": "archbench-preprocessing",
      "version": 1,
      "missing": "impute",                  # numeric gaps: "impute" (mean, with indicator) or "error"
      "columns": [                          # the raw feature columns, in the order the rows are read
        {"name": "age", "kind": "numeric", "mean": 41.2, "scale": 12.9, "fill": 41.2, "indicator": true},
        {"name": "colour", "kind": "categorical", "categories": ["blue", "red"], "infrequent": ["mauve"]}
      ],
      "outputs": ["age", "missing(age)", "colour"],   # the model's input columns, in order
      "left_out": {"id": "an identifier: a different value on every training row"},
      "target": {"name": "y", "task": "classification", "classes": ["no", "yes"]}
                # or {"name": "y", "task": "regression", "mean": [3.1], "std": [0.7]} (targets are standardised)
    }

``fill`` is the value a gap takes (null: gaps are an error), ``indicator`` whether a missing-indicator column follows
the numeric columns. Category values are compared as text (``str``); a boolean column holds ``"True"``/``"False"``.
A newer version may add keys; ``from_json`` refuses another format or a higher version with one line.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

from archbench.errors import ArchbenchError

FORMAT = "archbench-preprocessing"
VERSION = 1
FILE_NAME = "preprocessing.json"
UNKNOWN = 0  # the code of a category not seen in training, a gap, or an infrequent category
MIN_FREQUENCY = 5  # a category seen fewer times in the training rows is infrequent: the unknown code
MIN_IDENTIFIER_ROWS = 20  # a text column with a different value on each of at least this many rows is an identifier
MISSING = ("impute", "error")
MISSING_HINT = "--data.missing impute (mean, with a missing indicator) or drop"


def default_note(message: str) -> None:
    print(f"archbench: {message}", file=sys.stderr)


@dataclass(frozen=True)
class NumericColumn:
    name: str
    mean: float
    scale: float
    fill: float | None = None
    indicator: bool = False


@dataclass(frozen=True)
class CategoricalColumn:
    name: str
    categories: list[str]
    infrequent: list[str] = field(default_factory=list)

    @property
    def cardinality(self) -> int:
        return len(self.categories) + 1


Column = NumericColumn | CategoricalColumn


def is_categorical(values: pd.Series) -> bool:
    """Text, boolean and pandas categorical columns are categories; numbers are numbers."""
    return not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def as_text(values: pd.Series) -> pd.Series:
    """A categorical column as text with NaN at its gaps, the form categories are compared in."""
    gaps = values.isna()
    return values.astype(object).where(gaps, values.astype(str)).where(~gaps, np.nan)


@dataclass(frozen=True)
class Preprocessing:
    """What was fitted on the training rows; ``transform`` applies it to any rows with the same columns."""

    columns: list[Column]
    missing: str = "error"
    left_out: dict[str, str] = field(default_factory=dict)
    target: dict[str, Any] | None = None

    @property
    def numeric(self) -> list[NumericColumn]:
        return [c for c in self.columns if isinstance(c, NumericColumn)]

    @property
    def categorical(self) -> list[CategoricalColumn]:
        return [c for c in self.columns if isinstance(c, CategoricalColumn)]

    @property
    def input_names(self) -> list[str]:
        """The raw columns ``transform`` reads, in file order."""
        return [c.name for c in self.columns]

    @property
    def output_names(self) -> list[str]:
        """The model's input columns: numeric, missing indicators, then categorical codes."""
        indicators = [f"missing({c.name})" for c in self.numeric if c.indicator]
        return [*(c.name for c in self.numeric), *indicators, *(c.name for c in self.categorical)]

    @property
    def categorical_cardinalities(self) -> list[int]:
        return [c.cardinality for c in self.categorical]

    def with_target(self, **target: Any) -> Preprocessing:
        return replace(self, target=target)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw rows (a DataFrame holding at least ``input_names``) as the model's float inputs."""
        absent = [name for name in self.input_names if name not in frame.columns]
        if absent:
            raise ArchbenchError(
                f"column {absent[0]!r} is missing from the rows to transform; allowed: rows with the columns "
                f"{', '.join(self.input_names)}"
            )
        numeric = [self.numeric_values(frame[c.name], c) for c in self.numeric]
        indicators = [frame[c.name].isna().to_numpy(dtype=float) for c in self.numeric if c.indicator]
        codes = [self.codes(frame[c.name], c) for c in self.categorical]
        parts = [*numeric, *indicators, *codes]
        return np.stack(parts, axis=1) if parts else np.zeros((len(frame), 0))

    def numeric_values(self, values: pd.Series, column: NumericColumn) -> np.ndarray:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        text = np.isnan(numbers) & values.notna().to_numpy()
        if text.any():
            raise ArchbenchError(
                f"column {column.name!r} holds {values.iloc[int(np.argmax(text))]!r}, but was fitted as numbers; "
                "allowed: numbers or gaps"
            )
        gaps = np.isnan(numbers)
        if gaps.any():
            if column.fill is None:
                raise ArchbenchError(
                    f"column {column.name!r} has a gap at row {int(np.argmax(gaps))}; allowed: numbers, or "
                    f"{MISSING_HINT}"
                )
            numbers = np.where(gaps, column.fill, numbers)
        return (numbers - column.mean) / column.scale

    @staticmethod
    def codes(values: pd.Series, column: CategoricalColumn) -> np.ndarray:
        index = {category: code for code, category in enumerate(column.categories, start=UNKNOWN + 1)}
        return as_text(values).map(index).fillna(UNKNOWN).to_numpy(dtype=float)

    def to_json(self) -> dict[str, Any]:
        columns = []
        for c in self.columns:
            if isinstance(c, NumericColumn):
                columns.append({"name": c.name, "kind": "numeric", "mean": c.mean, "scale": c.scale,
                                "fill": c.fill, "indicator": c.indicator})  # fmt: skip
            else:
                columns.append({"name": c.name, "kind": "categorical", "categories": list(c.categories),
                                "infrequent": list(c.infrequent)})  # fmt: skip
        return {"format": FORMAT, "version": VERSION, "missing": self.missing, "columns": columns,
                "outputs": self.output_names, "left_out": dict(self.left_out), "target": self.target}  # fmt: skip

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> Preprocessing:
        if state.get("format") != FORMAT or not isinstance(state.get("version"), int) or state["version"] > VERSION:
            raise ArchbenchError(
                f"preprocessing state of format {state.get('format')!r} version {state.get('version')!r} cannot be "
                f"read; allowed: format {FORMAT!r} up to version {VERSION}"
            )
        columns: list[Column] = []
        for c in state["columns"]:
            if c["kind"] == "numeric":
                columns.append(
                    NumericColumn(c["name"], c["mean"], c["scale"], c.get("fill"), c.get("indicator", False))
                )
            else:
                columns.append(CategoricalColumn(c["name"], list(c["categories"]), list(c.get("infrequent", []))))
        return cls(columns, state.get("missing", "error"), dict(state.get("left_out", {})), state.get("target"))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Preprocessing:
        return cls.from_json(json.loads(Path(path).read_text()))


def usable_columns(frame: pd.DataFrame, note: Callable[[str], None]) -> tuple[list[str], dict[str, str]]:
    """The training rows' columns worth fitting, and why each other one is left out (all gaps, an identifier)."""
    kept, left_out = [], {}
    for name, values in frame.items():
        present = values.dropna()
        if present.empty:
            left_out[str(name)] = "no value in the training rows"
        elif is_categorical(values) and len(present) >= MIN_IDENTIFIER_ROWS and present.nunique() == len(present):
            left_out[str(name)] = "an identifier: a different value on every training row"
        else:
            kept.append(str(name))
            continue
        note(f"column {name!r} left out: {left_out[str(name)]} (leave it out with --data.drop_columns [{name}])")
    return kept, left_out


def fit_preprocessing(
    train: pd.DataFrame,
    missing: str = "error",
    min_frequency: int = MIN_FREQUENCY,
    scale: bool = True,
    note: Callable[[str], None] = default_note,
) -> Preprocessing:
    """Fit the column transformer on the training rows ``train`` (raw feature columns) and keep what it learned;
    ``scale`` False keeps numeric columns in their units (mean 0, scale 1 in the state)."""
    if missing not in MISSING:
        raise ArchbenchError(f"missing {missing!r} is not known to the preprocessing; allowed: {', '.join(MISSING)}")
    kept, left_out = usable_columns(train, note)
    if not kept:
        raise ArchbenchError("no usable feature column in the training rows; allowed: a table with a feature column")
    frame = train[kept]
    categorical = [c for c in kept if is_categorical(frame[c])]
    numeric = [c for c in kept if c not in categorical]
    if missing == "error" and frame[numeric].isna().any(axis=None):
        name = frame[numeric].columns[frame[numeric].isna().any()][0]
        raise ArchbenchError(f"column {name!r} has a gap in the training rows; allowed: numbers, or {MISSING_HINT}")
    numbers = (
        make_pipeline(SimpleImputer(add_indicator=True), StandardScaler()) if missing == "impute" else StandardScaler()
    )
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1,
                             min_frequency=min_frequency)  # fmt: skip
    fitted = ColumnTransformer([("numeric", numbers, numeric), ("categorical", encoder, categorical)])
    # The encoder sees each text column as the index of its value among the sorted values (NaN at gaps): the same
    # fit, but counted with numpy rather than a Python Counter over strings (3 s on the flights table).
    values = {c: pd.factorize(as_text(frame[c]), sort=True) for c in categorical}
    fitted.fit(frame.assign(**{c: np.where(codes < 0, np.nan, codes) for c, (codes, _) in values.items()}))
    texts = [list(map(str, uniques)) for _, uniques in values.values()]
    columns = {**numeric_columns(fitted, numeric, scale), **categorical_columns(fitted, categorical, texts)}
    return Preprocessing([columns[c] for c in kept], missing, left_out)


def numeric_columns(fitted: ColumnTransformer, names: list[str], scale: bool) -> dict[str, NumericColumn]:
    if not names:
        return {}
    steps = fitted.named_transformers_["numeric"]
    scaler = steps[-1] if hasattr(steps, "steps") else steps
    imputer = steps[0] if hasattr(steps, "steps") else None
    with_gaps = set(imputer.indicator_.features_) if imputer is not None and imputer.indicator_ is not None else set()
    return {
        name: NumericColumn(
            name=name,
            mean=float(scaler.mean_[i]) if scale else 0.0,
            scale=float(scaler.scale_[i]) if scale else 1.0,
            fill=None if imputer is None else float(imputer.statistics_[i]),
            indicator=i in with_gaps,
        )
        for i, name in enumerate(names)
    }


def categorical_columns(
    fitted: ColumnTransformer, names: list[str], texts: list[list[str]]
) -> dict[str, CategoricalColumn]:
    """The encoder's frequent and infrequent categories of each column, as text (``texts``: the value of each index
    the encoder was fitted on)."""
    if not names:
        return {}
    encoder = fitted.named_transformers_["categorical"]
    columns = {}
    fitted_on = zip(names, texts, encoder.categories_, encoder.infrequent_categories_, strict=True)
    for name, text, categories, infrequent in fitted_on:
        rare = set() if infrequent is None else {int(v) for v in infrequent}
        seen = [int(v) for v in categories if not math.isnan(v)]
        frequent = [text[i] for i in seen if i not in rare]
        columns[name] = CategoricalColumn(name, frequent, [text[i] for i in sorted(rare)])
    return columns
