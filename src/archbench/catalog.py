"""The dataset catalogue: the facts each ``configs/data/<name>.yaml`` carries under its ``catalog:`` key.

A data YAML is two things in one file: the DataModule's config (``class_path`` and ``init_args``, read by
jsonargparse) and the dataset's facts (``catalog:``, read here). ``data_config`` hands the first to whoever builds the
DataModule, without the facts; ``entries`` reads the second. Adding a dataset is adding one YAML.

The facts, each checked when read (``FACTS``):

- ``task``: classification, regression or forecasting; ``family``: table or sequence.
- ``rows``: samples (tables; series for sequence classification and regression) or time steps (forecasting);
  ``features``: input columns of a table, ``categorical`` how many of them are categories;
  ``length`` and ``channels``: steps and channels of a sequence (the longest, when lengths vary).
- ``source``: the package that ships the file (or ``generated``); ``loader``: the function or file it is read with;
  ``citation`` and ``licence``: of the data; ``real``: false for generated data;
  ``extra``: the optional extra it needs (``pip install archbench[<extra>]``), or absent.

This module imports neither torch nor Lightning: ``archbench datasets`` answers at once.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from archbench.configs import available, config_root
from archbench.errors import ArchbenchError

CATALOG_KEY = "catalog"
TASKS = ("classification", "regression", "forecasting")
FAMILIES = ("table", "sequence")
REQUIRED = ("task", "family", "rows", "source", "loader", "citation", "licence")
OPTIONAL = ("features", "categorical", "length", "channels", "extra", "real", "note")


@dataclass(frozen=True)
class Entry:
    """One dataset's facts, as its YAML states them."""

    name: str
    task: str
    family: str
    rows: int
    source: str
    loader: str
    citation: str
    licence: str
    features: int | None = None
    categorical: int | None = None
    length: int | None = None
    channels: int | None = None
    extra: str | None = None
    real: bool = True
    note: str | None = None

    @property
    def shape(self) -> str:
        """Features (tables) or length × channels (sequences), as a short text."""
        if self.family == "table":
            return f"{self.features} ({self.categorical or 0} cat.)"
        if self.length is None:  # a forecasting series: its steps are the rows
            return f"series × {self.channels or 1}"
        return f"{self.length} × {self.channels or 1}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _read(name: str) -> dict[str, Any]:
    path = data_path(name)
    return yaml.safe_load(path.read_text()) or {}


def data_path(name: str) -> Path:
    """The YAML of dataset ``name``, or one line with the nearest names and how to list them all."""
    names = available("data")
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}?" if close else f"nearest: {', '.join(nearest_names(name, names))};"
        raise ArchbenchError(f"unknown DATA {name!r}; {hint} `archbench datasets` lists all {len(names)}")
    return config_root() / "data" / f"{name}.yaml"


def nearest_names(name: str, names: list[str], count: int = 3) -> list[str]:
    """The ``count`` names most like ``name`` (difflib's ratio), for a hint when none is close."""
    return difflib.get_close_matches(name, names, n=count, cutoff=0.0)


def data_config(name: str) -> dict[str, Any]:
    """The DataModule config of dataset ``name``: its YAML without the catalogue facts."""
    return {k: v for k, v in _read(name).items() if k != CATALOG_KEY}


def entry(name: str) -> Entry | None:
    """Dataset ``name``'s catalogue facts; None for a config that states none (the CSV templates)."""
    facts = _read(name).get(CATALOG_KEY)
    if facts is None:
        return None
    return _checked(name, facts)


def _checked(name: str, facts: dict[str, Any]) -> Entry:
    where = f"configs/data/{name}.yaml {CATALOG_KEY}"
    missing = [k for k in REQUIRED if k not in facts]
    unknown = sorted(set(facts) - set(REQUIRED) - set(OPTIONAL))
    if missing or unknown:
        problem = f"lacks {missing[0]!r}" if missing else f"has unknown key {unknown[0]!r}"
        raise ArchbenchError(f"{where} {problem}; allowed: {', '.join(REQUIRED + OPTIONAL)}")
    if facts["task"] not in TASKS or facts["family"] not in FAMILIES:
        raise ArchbenchError(
            f"{where}: task {facts['task']!r}, family {facts['family']!r}; allowed: task in {', '.join(TASKS)}, "
            f"family in {', '.join(FAMILIES)}"
        )
    return Entry(name=name, **facts)


@cache
def _entries(root: Path) -> tuple[Entry, ...]:
    return tuple(e for e in (entry(name) for name in available("data")) if e is not None)


def entries() -> list[Entry]:
    """Every dataset in the catalogue (configs with a ``catalog:`` key), sorted by name."""
    return list(_entries(config_root()))


def select(family: str | None = None, task: str | None = None, real: bool | None = True) -> list[str]:
    """Names of the catalogue's datasets of a family and task (None: any); ``real`` False or None admits generated
    data too (None: both kinds)."""
    for value, allowed, what in ((family, FAMILIES, "family"), (task, TASKS, "task")):
        if value is not None and value not in allowed:
            raise ArchbenchError(f"unknown {what} {value!r} in a dataset selection; allowed: {', '.join(allowed)}")
    return [
        e.name
        for e in entries()
        if (family is None or e.family == family)
        and (task is None or e.task == task)
        and (real is None or e.real == real)
    ]


SELECTION_KEYS = {"family", "task", "real"}


def expand_datasets(datasets: Any) -> list[str]:
    """A study's ``datasets:``: a list of names, or a selection ``{family: table, task: ..., real: ...}`` from the
    catalogue (so a new YAML joins the studies that select its family and task)."""
    if isinstance(datasets, dict):
        unknown = sorted(set(datasets) - SELECTION_KEYS)
        if unknown:
            raise ArchbenchError(
                f"datasets selection key {unknown[0]!r} is not known; allowed: {', '.join(sorted(SELECTION_KEYS))}"
            )
        names = select(**datasets)
        if not names:
            raise ArchbenchError(f"datasets selection {datasets} matches no catalogue entry; see `archbench datasets`")
        return names
    return list(datasets)
