"""A run spec resolved once into plain data: the class path and init args of its model, data, trainer and
checkpoint, its seed and the runner's options (spec.RUN_OPTIONS).

This is the only place a run is parsed: jsonargparse (LightningCLI's parser) reads the spec's YAMLs and overrides,
checks every value against the class signatures and fills in the defaults. What comes out is what a run's
``config.yaml`` holds; assemble.py instantiates it without parsing anything again, so a study resolves its cells
when it is read and its workers only build and train them.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import lightning as L
import yaml
from jsonargparse import ActionConfigFile, ArgumentError
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser

from archbench.build import check_overrides, first_line, unwrap
from archbench.data.base import ArchDataModule
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule
from archbench.spec import LINKED_FROM_DATA, RUN_OPTIONS, RunSpec

# What archbench asks of Lightning's ModelCheckpoint unless a run says otherwise: the best validation loss is kept
# (written only when it improves: save_top_k 1), after RunStatsCallback's epoch end so a checkpoint holds the run's
# statistics so far.
CHECKPOINT_DEFAULTS = {
    "checkpoint.monitor": "val/loss",
    "checkpoint.filename": "best-{epoch}",
    "checkpoint.save_on_train_epoch_end": True,
}


@dataclass(frozen=True)
class ResolvedRun:
    """A run as plain data: ``spec`` names and labels it, ``config`` is every setting it trains with."""

    spec: RunSpec
    config: dict[str, Any]

    @property
    def seed(self) -> int:
        return int(self.config["seed_everything"])

    def data_config(self) -> dict[str, Any]:
        """The DataModule's class path and init args, its seed included (the seed decides the splits)."""
        data = copy.deepcopy(self.config["data"])
        data.setdefault("init_args", {})["seed"] = self.seed
        return data

    def with_trainer(self, **values: Any) -> ResolvedRun:
        """The same run with some Trainer arguments replaced (a grid's progress bar, a quiet trial)."""
        config = copy.deepcopy(self.config)
        config["trainer"].update(values)
        return replace(self, config=config)

    def with_callback(self, class_path: str, **init_args: Any) -> ResolvedRun:
        config = copy.deepcopy(self.config)
        callbacks = list(config["trainer"].get("callbacks") or [])
        config["trainer"]["callbacks"] = [*callbacks, {"class_path": class_path, "init_args": init_args}]
        return replace(self, config=config)


@cache
def run_parser() -> LightningArgumentParser:
    """The parser of a whole run, built once per process (inspecting every signature costs about 0.1 s)."""
    parser = LightningArgumentParser(exit_on_error=False)
    parser.add_argument("--config", action=ActionConfigFile)
    parser.add_argument("--seed_everything", type=int, default=0)
    parser.add_lightning_class_args(L.Trainer, "trainer")
    parser.add_lightning_class_args(ArchModule, "model", subclass_mode=True)
    parser.add_lightning_class_args(ArchDataModule, "data", subclass_mode=True)
    parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
    for name in LINKED_FROM_DATA:
        parser.link_arguments(f"data.{name}", f"model.init_args.{name}", apply_on="instantiate")
    parser.link_arguments("seed_everything", "data.init_args.seed")
    for name, (kind, default, text) in RUN_OPTIONS.items():
        parser.add_argument(f"--{name}", type=kind, default=default, help=text)
    parser.set_defaults(CHECKPOINT_DEFAULTS)
    return parser


def resolve(spec: RunSpec) -> ResolvedRun:
    """Parse and check a run spec once; bad input is one ``ArchbenchError`` line, before anything is written."""
    check_overrides(spec)
    parser = run_parser()
    try:
        parsed = parser.parse_args(spec.lightning_args())
    except ArgumentError as error:
        raise ArchbenchError(first_line(unwrap(error))) from None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*skip_none")  # jsonargparse's rename; full defaults are wanted
        config = yaml.safe_load(parser.dump(parsed, skip_none=False, skip_validation=True))
    return ResolvedRun(spec, config)


def resolve_all(specs: list[RunSpec]) -> list[ResolvedRun]:
    """Resolve many specs, parsing those that differ only in seed and run folder once (a study's seeds)."""
    parsed: dict[RunSpec, ResolvedRun] = {}
    resolved = []
    for spec in specs:
        key = replace(spec, seed=0, run_prefix="version", run_version=None)
        if key not in parsed:
            parsed[key] = resolve(key)
        config = copy.deepcopy(parsed[key].config)
        config.update(seed_everything=spec.seed, run_prefix=spec.run_prefix, run_version=spec.run_version)
        resolved.append(ResolvedRun(spec, config))
    return resolved
