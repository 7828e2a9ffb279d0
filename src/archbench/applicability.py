"""Where each architecture applies, and the placebo's own seeds: the facts under each model YAML's ``study:`` key.

A model YAML is two things in one file, as a data YAML is: the LightningModule's config (``class_path`` and
``init_args``, read by jsonargparse) and how studies use the architecture (``study:``, read here). ``model_config``
hands the first to whoever builds the model; ``arch_facts`` reads the second. The facts, each optional:

- ``families``: the data families it applies to (table, sequence); ``tasks``: the tasks (classification,
  regression, forecasting). Absent: every family or every task, so an architecture of your own runs everywhere.
- ``seed_offset``: added to every seed of the architecture's cells, so a **placebo** (the same class and defaults
  under another name) trains on its own seeds; ``placebo_of``: the architecture it copies.

A study runs an architecture on a dataset only where the dataset's catalogue facts (``archbench.catalog.entry``)
match; a dataset without facts (a CSV template) takes every architecture. This module imports neither torch nor
Lightning: a study lists its cells at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from archbench.catalog import FAMILIES, TASKS, entry
from archbench.configs import config_path
from archbench.errors import ArchbenchError

STUDY_KEY = "study"
FACT_KEYS = ("families", "tasks", "seed_offset", "placebo_of")


@dataclass(frozen=True)
class ArchFacts:
    """How studies use one architecture, as its YAML's ``study:`` key states it."""

    name: str
    families: tuple[str, ...] = FAMILIES
    tasks: tuple[str, ...] = TASKS
    seed_offset: int = 0
    placebo_of: str | None = None


def _read(name: str) -> dict[str, Any]:
    return yaml.safe_load(config_path("model", name).read_text()) or {}


def model_config(name: str) -> dict[str, Any]:
    """The LightningModule config of architecture ``name``: its YAML without the study facts."""
    return {k: v for k, v in _read(name).items() if k != STUDY_KEY}


def arch_facts(name: str) -> ArchFacts:
    """Architecture ``name``'s study facts, checked; the defaults where its YAML states none."""
    facts = _read(name).get(STUDY_KEY) or {}
    where = f"configs/model/{name}.yaml {STUDY_KEY}"
    unknown = sorted(set(facts) - set(FACT_KEYS))
    if unknown:
        raise ArchbenchError(f"{where} has unknown key {unknown[0]!r}; allowed: {', '.join(FACT_KEYS)}")
    families, tasks = tuple(facts.get("families", FAMILIES)), tuple(facts.get("tasks", TASKS))
    for values, allowed, what in ((families, FAMILIES, "families"), (tasks, TASKS, "tasks")):
        strange = [v for v in values if v not in allowed]
        if strange or not values:
            raise ArchbenchError(f"{where}: {what} {list(values)}; allowed: one or more of {', '.join(allowed)}")
    offset = facts.get("seed_offset", 0)
    if not isinstance(offset, int) or offset < 0:
        raise ArchbenchError(f"{where}: seed_offset {offset!r}; allowed: an integer >= 0")
    return ArchFacts(name, families, tasks, offset, facts.get("placebo_of"))


def applies(arch: str, dataset: str) -> bool:
    """Whether a study runs ``arch`` on ``dataset``: the dataset's family and task are among the architecture's."""
    facts, data = arch_facts(arch), entry(dataset)
    return data is None or (data.family in facts.families and data.task in facts.tasks)


def not_applicable(archs: list[str], datasets: list[str]) -> list[str]:
    """The ``dataset/arch`` pairs a study leaves out because the architecture does not apply, in study order."""
    return [f"{dataset}/{arch}" for dataset in datasets for arch in archs if not applies(arch, dataset)]


def cell_seed(arch: str, seed: int) -> int:
    """The seed a study's cell of ``arch`` trains with: the study's seed plus the architecture's offset."""
    return seed + arch_facts(arch).seed_offset


def placebo_pairs(archs: list[str]) -> list[tuple[str, str]]:
    """(original, placebo) for each placebo among ``archs`` whose original is there too."""
    pairs = [(arch_facts(a).placebo_of, a) for a in archs]
    return [(original, placebo) for original, placebo in pairs if original in archs]
