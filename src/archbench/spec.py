"""The spec of one run and of a study: the one description that every command builds its runs from.

``train``, ``fit``, grid cells, baselines and SLURM jobs all start from a ``RunSpec``; a study (archs × datasets
× seeds, baselines, trainer profile, budget) is a ``StudySpec``, from flags or from ``configs/study/<name>.yaml``.
This module is the bottom layer: it imports neither torch nor Lightning nor any other archbench layer above it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sys
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from archbench.applicability import cell_seed, model_config, not_applicable
from archbench.catalog import data_config, data_path, expand_datasets
from archbench.code_fingerprint import code_fingerprint
from archbench.configs import config_path
from archbench.errors import ArchbenchError

STUDY_FILE = "study.yaml"  # a study as run, saved beside its report
# What the DataModule tells every model: its shapes, target statistics and label mapping.
LINKED_FROM_DATA = (
    "task", "input_size", "seq_len", "output_size", "target_steps", "target_mean", "target_std", "target_names",
    "class_names", "mase_scale", "target_log", "categorical_cardinalities",
)  # fmt: skip
# How a study's models are trained and which checkpoint is tested (`protocol:` in a study file). Its tokens come
# before every other override of a cell, so a study can still change any of them.
PROTOCOLS = {
    # archbench's: a validation split carved from the training data; the best-validation checkpoint is tested, the
    # learning rate halves when the validation loss stalls and training stops when it has not improved for 50 epochs.
    "fair": ("--model.init_args.lr_schedule", "plateau", "--early_stopping_patience", "50"),
    # Fawaz et al. 2019's: no validation split, the lowest-training-loss checkpoint is tested, and the learning rate
    # halves when the training loss stalls for 50 epochs (down to 1e-4).
    "paper": ("--data.init_args.val_fraction", "0", "--checkpoint.monitor", "train/loss_epoch",
              "--model.init_args.lr_schedule", "plateau_train"),
    # What a run does without a protocol: whatever its configs say (the best-validation checkpoint is tested).
    "default": (),
}  # fmt: skip
PRUNERS = ("median", "hyperband", "none")
TUNE_KEYS = {"trials", "pruner", "sampler_seed"}
MAX_SEED = 2**32 - 1  # numpy's and Lightning's seed range
# The one list of a run's options beside its groups: name -> (type, default, help). The resolver's parser
# (resolve.py) adds them, the CLI passes them on, and a run's config.yaml holds them.
RUN_OPTIONS: dict[str, tuple[Any, Any, str]] = {
    "arch": (str, "custom", "the architecture's name (configs/model/), saved so that fit --config knows it"),
    "early_stopping_patience": (int | None, None, "epochs; off if unset"),
    "resume": (bool, True, "continue an unfinished run of this config"),
    "last_checkpoint_s": (float, 10.0, "last.ckpt (for resuming) at an epoch end this long after the last one"),
    "run_name": (str, "runs", "log folder under --log_root: data/arch"),
    "run_prefix": (str, "version", "run folders are <prefix>_<N>"),
    "run_version": (str | None, None, "fixed folder; else <prefix>_<N>"),
    "log_root": (str, "lightning_logs", "where runs are logged"),
}
OPTION_GROUPS = ("model", "data", "trainer", "checkpoint")  # a run's classes: --<group>.<init arg>
RUNNER_OPTIONS = (*(f"--{name}" for name in RUN_OPTIONS), "--print_config")


def require_seed(seed: int) -> int:
    if not 0 <= seed <= MAX_SEED:
        raise ArchbenchError(f"seed {seed} is out of range; allowed: 0..{MAX_SEED}")
    return seed


def require_epochs(max_epochs: int | None) -> int | None:
    if max_epochs is not None and max_epochs < 1:
        raise ArchbenchError(f"max_epochs must be >= 1, got {max_epochs}")
    return max_epochs


def option_pairs(tokens: tuple[str, ...] | list[str]) -> list[tuple[str, str | None]]:
    """``--key value`` and ``--key=value`` tokens as (key, value) pairs; a flag without a value gets None."""
    pairs: list[tuple[str, str | None]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.startswith("--"):
            raise ArchbenchError(f"unexpected argument {token!r}; allowed: --option value pairs")
        if "=" in token:
            key, value = token.split("=", 1)
            pairs.append((key, value))
            i += 1
        elif i + 1 < len(tokens) and not tokens[i + 1].startswith("--"):
            pairs.append((token, tokens[i + 1]))
            i += 2
        else:
            pairs.append((token, None))
            i += 1
    return pairs


def command_line_text(value: Any) -> str:
    """A YAML value as it is written on a command line (``false``, not ``False``)."""
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


def archbench_version() -> str:
    try:
        return metadata.version("archbench")
    except metadata.PackageNotFoundError:
        return "unknown"


def archbench_executable() -> str:
    """The ``archbench`` of this environment, so a printed or scripted command runs the same install."""
    return str(Path(sys.executable).with_name("archbench"))


@dataclass(frozen=True)
class RunSpec:
    """One run: architecture, dataset, trainer profile, seed and every ``--model/--data/--trainer`` override.

    ``overrides`` are LightningCLI tokens, kept in the order given. ``config_file`` (``archbench fit --config``)
    replaces the three named YAMLs with a saved ``config.yaml``; ``arch`` and ``data`` then only label the run.
    """

    arch: str
    data: str
    trainer: str = "default"
    seed: int = 0
    max_epochs: int | None = None
    accelerator: str | None = None
    devices: str | None = None
    overrides: tuple[str, ...] = ()
    log_root: str = "lightning_logs"
    run_prefix: str = "version"
    run_version: str | None = None
    config_file: str | None = None
    kind: str = "model"  # or "baseline": a scikit-learn model fitted on this run's data

    def __post_init__(self) -> None:
        require_seed(self.seed)
        require_epochs(self.max_epochs)
        object.__setattr__(self, "overrides", tuple(self.overrides))
        option_pairs(self.overrides)  # one clear error for a stray token, before anything heavy

    def group_overrides(self, group: str) -> list[tuple[str, str | None]]:
        """The overrides of one group (``model``, ``data`` or ``trainer``) as (key, value) pairs."""
        return [(k, v) for k, v in option_pairs(self.overrides) if k.startswith(f"--{group}.") or k == f"--{group}"]

    def group_tokens(self, group: str) -> list[str]:
        return [
            token for key, value in self.group_overrides(group) for token in (key, *([value] * (value is not None)))
        ]

    def data_option(self, name: str) -> Any:
        """An init arg of the dataset as this run sets it: the last override, else the YAML's value."""
        for key, value in reversed(self.group_overrides("data")):
            if key in (f"--data.{name}", f"--data.init_args.{name}"):
                return value
        if self.config_file:
            return (
                ((yaml.safe_load(Path(self.config_file).read_text()) or {}).get("data") or {})
                .get("init_args", {})
                .get(name)
            )
        return (data_config(self.data).get("init_args") or {}).get(name)

    @property
    def dataset_label(self) -> str:
        """The dataset's name in logs and reports: a user file's stem (two CSVs stay apart), else the config name."""
        path = self.data_option("path")
        return Path(str(path)).stem if path else self.data

    @property
    def run_name(self) -> str:
        return f"{self.dataset_label}/{self.arch}"

    def config_files(self) -> list[Path]:
        if self.config_file:
            return [Path(self.config_file)]
        if self.kind == "baseline":
            return [data_path(self.data)]
        return [config_path("model", self.arch), data_path(self.data), config_path("trainer", self.trainer)]

    def data_args(self) -> list[str]:
        """The dataset's LightningCLI arguments: its YAML, then its overrides (what a baseline parses too)."""
        if self.config_file:
            data = (yaml.safe_load(Path(self.config_file).read_text()) or {}).get("data")
            return ["--data", json.dumps(data), *self.group_tokens("data")]
        return ["--data", json.dumps(data_config(self.data)), *self.group_tokens("data")]

    def lightning_args(self) -> list[str]:
        """This run as command-line arguments: what the resolver parses once (resolve.py)."""
        if self.config_file:
            args = ["--config", self.config_file]
        else:
            args = ["--model", json.dumps(model_config(self.arch)), "--data", json.dumps(data_config(self.data)),
                    "--trainer", str(config_path("trainer", self.trainer)), "--arch", self.arch]  # fmt: skip
        args += ["--seed_everything", str(self.seed), "--run_name", self.run_name, "--log_root", self.log_root]
        args += ["--run_prefix", self.run_prefix] + (["--run_version", self.run_version] if self.run_version else [])
        for key in ("max_epochs", "accelerator", "devices"):
            if getattr(self, key) is not None:
                args += [f"--trainer.{key}", str(getattr(self, key))]
        return args + list(self.overrides)

    def train_args(self) -> list[str]:
        """The ``archbench train`` (or ``fit``) arguments that rebuild this spec."""
        if self.config_file:
            head = ["fit", "--config", self.config_file, "--seed", str(self.seed)]
        else:
            head = [
                "train",
                "--arch",
                self.arch,
                "--data",
                self.data,
                "--trainer",
                self.trainer,
                "--seed",
                str(self.seed),
            ]
        for key in ("max_epochs", "accelerator", "devices", "run_version"):
            if getattr(self, key) is not None:
                head += [f"--{key}", str(getattr(self, key))]
        if self.log_root != "lightning_logs":
            head += ["--log_root", self.log_root]
        return head + list(self.overrides)

    def rerun_command(self) -> str:
        """A shell command that reruns this run as printed, from any folder."""
        return f"cd {shlex.quote(os.getcwd())} && {shlex.join([archbench_executable(), *self.train_args()])}"

    def identity(self, data_fingerprint: str) -> str:
        """What the run computes: its settings, the text of its YAMLs, its data's content and archbench's version and
        source code (``code_fingerprint``: an edit to a model reruns the cell, an edit to a README does not)."""
        what = {k: v for k, v in asdict(self).items() if k not in ("log_root", "run_prefix", "run_version")}
        if self.kind == "baseline":  # fitted by scikit-learn: the trainer's settings do not reach it
            what = {"arch": self.arch, "data": self.data, "seed": self.seed, "data_options": self.group_tokens("data")}
        what["yaml"] = [p.read_text() for p in self.config_files()]
        what["data_fingerprint"] = data_fingerprint
        what["archbench"] = archbench_version()
        what["code"] = code_fingerprint()
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class TuneSpec:
    """A tuning budget for one run spec: ``trials`` trials of its architecture on its dataset."""

    run: RunSpec
    trials: int
    name: str = "tune"
    storage: str | None = None
    sampler_seed: int = 0
    pruner: str = "median"
    reports_root: str = "reports"

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise ArchbenchError(f"--trials must be >= 1, got {self.trials}")
        if self.pruner not in PRUNERS:
            raise ArchbenchError(f"unknown pruner {self.pruner!r}; allowed: {', '.join(PRUNERS)}")

    @property
    def study_name(self) -> str:
        return f"{self.run.dataset_label}__{self.run.arch}"

    @property
    def folder(self) -> Path:
        return Path(self.reports_root) / self.name

    def tune_args(self) -> list[str]:
        """The ``archbench tune`` arguments that rebuild this tuning spec."""
        run = self.run.train_args()
        options = ["--trials", str(self.trials), "--name", self.name, "--storage", self.storage_url,
                   "--pruner", self.pruner, "--sampler_seed", str(self.sampler_seed),
                   "--reports_root", self.reports_root]  # fmt: skip
        return ["tune", *run[1:], *options]

    @property
    def storage_url(self) -> str:
        return self.storage or f"sqlite:///{(self.folder / 'tune.db').resolve()}"


@dataclass(frozen=True)
class Cell:
    """One cell of a study: an architecture (or a scikit-learn baseline) on a dataset with a seed."""

    dataset: str
    arch: str
    seed: int
    kind: str = "model"

    @property
    def key(self) -> str:
        return f"{self.dataset}__{self.arch}__seed{self.seed}"

    @property
    def is_baseline(self) -> bool:
        return self.kind == "baseline"


@dataclass
class StudySpec:
    """A comparison: archs × datasets × seeds plus baselines, every model cell an ordinary run.

    The default study is ``configs/study/default.yaml``; only ``name``, ``archs``, ``datasets`` and ``seeds`` have
    no default here, so a study file names them.
    """

    name: str
    archs: list[str]
    datasets: list[str]
    seeds: list[int]
    baselines: list[str] = field(default_factory=list)
    trainer: str = "cpu"
    max_epochs: int | None = None
    overrides: list[str] = field(default_factory=list)
    cell_overrides: dict[str, list[str]] = field(default_factory=dict)
    reference: str | None = None
    protocol: str = "default"  # a key of PROTOCOLS
    tune: dict[str, Any] | None = None  # {trials: N, pruner: median, sampler_seed: 0}: the same budget for every arch
    log_root: str = "lightning_logs"
    reports_root: str = "reports"
    # Computed, not set: the `dataset/arch` pairs left out because the architecture does not apply
    # (archbench/applicability.py); saved with the study so its report can say so.
    not_applicable: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # YAML reads `--data.seq_len, 50` as a number: every token is the text it would be on a command line.
        self.overrides = [command_line_text(t) for t in self.overrides]
        self.cell_overrides = {k: [command_line_text(t) for t in v] for k, v in self.cell_overrides.items()}
        for key, tokens in self.cell_overrides.items():
            dataset, _, arch = key.partition("/")
            data_keys = [k for k, _ in option_pairs(tokens) if k.startswith("--data") and not k.endswith(".batch_size")]
            if arch != "*" and data_keys:
                raise ArchbenchError(
                    f"cell_overrides {key!r} sets {data_keys[0]}; allowed: data options under '<dataset>/*' "
                    "(batch_size excepted), so every architecture and baseline of a dataset sees the same data"
                )
            if dataset not in (*self.datasets, "*") or arch not in (*self.archs, "*"):
                raise ArchbenchError(
                    f"cell_overrides key {key!r} names no cell of this study; allowed: <dataset>/<arch>, "
                    "<dataset>/* or */<arch> with the study's datasets and archs"
                )
        unknown_tune = sorted(set(self.tune or {}) - TUNE_KEYS)
        if unknown_tune or (self.tune is not None and int(self.tune.get("trials", 0)) < 1):
            raise ArchbenchError(
                f"study tune settings {self.tune}: allowed: trials (>= 1), {', '.join(sorted(TUNE_KEYS - {'trials'}))}"
            )
        if self.protocol not in PROTOCOLS:
            raise ArchbenchError(f"protocol {self.protocol!r} is not known; allowed: {', '.join(PROTOCOLS)}")
        if not self.seeds:
            raise ArchbenchError("a study needs at least one seed; allowed: --seeds N with N >= 1")
        for seed in self.seeds:
            require_seed(seed)
        require_epochs(self.max_epochs)
        for arch in self.archs:
            config_path("model", arch)  # one clear error for an unknown name, before anything runs
        for dataset in self.datasets:
            data_path(dataset)
        config_path("trainer", self.trainer)
        self.not_applicable = not_applicable(self.archs, self.datasets)
        bare = [d for d in self.datasets if all(f"{d}/{a}" in self.not_applicable for a in self.archs)]
        if bare and not self.baselines:
            raise ArchbenchError(f"no architecture of this study applies to {bare[0]}; allowed: archs whose model YAML"
                                 " lists its family and task under study:, or a baseline")  # fmt: skip

    @property
    def out_dir(self) -> Path:
        return Path(self.reports_root) / self.name

    @property
    def cells_dir(self) -> Path:
        return self.out_dir / "cells"

    def cells(self) -> list[Cell]:
        """Every cell where its architecture applies (``not_applicable`` names the pairs left out)."""
        left_out = set(self.not_applicable)
        return [
            Cell(dataset, arch, seed, kind)
            for dataset in self.datasets
            for seed in self.seeds
            for arch, kind in [*((a, "model") for a in self.archs), *((b, "baseline") for b in self.baselines)]
            if f"{dataset}/{arch}" not in left_out
        ]

    def cell_tokens(self, cell: Cell) -> list[str]:
        """Overrides of this cell: the protocol's, then per architecture, then per dataset, then per pair; the study's
        own ``overrides`` (which include the command line's) come last and win. A baseline takes only the data's
        (the protocol's data options included, so it sees the same splits)."""
        keys = (f"*/{cell.arch}", f"{cell.dataset}/*", f"{cell.dataset}/{cell.arch}")
        protocol = list(PROTOCOLS[self.protocol])
        if cell.is_baseline:
            keys = (f"{cell.dataset}/*",)
            protocol = [t for k, v in option_pairs(protocol) if k.startswith("--data.") for t in (k, v)]
        cell_tokens = [token for key in keys for token in self.cell_overrides.get(key, [])]
        return protocol + cell_tokens + list(self.overrides)

    def run_spec(self, cell: Cell) -> RunSpec:
        """The cell's run. A baseline's spec differs from its model cells' only in ``arch``, so it is given exactly
        their data: rows, splits, scaling, window and horizon."""
        return RunSpec(
            arch=cell.arch,
            kind=cell.kind,
            data=cell.dataset,
            trainer=self.trainer,
            seed=cell.seed if cell.is_baseline else cell_seed(cell.arch, cell.seed),  # a placebo's own seeds
            max_epochs=self.max_epochs,
            overrides=tuple(self.cell_tokens(cell)),
            log_root=self.log_root,
            run_prefix=f"{self.name}_seed{cell.seed}",
        )


STUDY_KEYS = {f.name for f in fields(StudySpec)}


def load_study(name_or_path: str) -> dict[str, Any]:
    """A study file's settings: a name under ``configs/study/`` or a path to a YAML file."""
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        path = config_path("study", name_or_path)
    settings = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(settings) - STUDY_KEYS)
    if unknown:
        raise ArchbenchError(f"study {path}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(STUDY_KEYS))}")
    if isinstance(settings.get("seeds"), int):
        settings["seeds"] = list(range(settings["seeds"]))
    if "datasets" in settings:
        settings["datasets"] = expand_datasets(settings["datasets"])
    return settings


def build_study(study: str | None, flags: dict[str, Any], overrides: list[str]) -> StudySpec:
    """A study file (``default`` when none is named) with every flag that was given replacing its setting."""
    settings = load_study(study or "default")
    settings.update({k: v for k, v in flags.items() if v is not None})
    settings.setdefault("name", Path(study).stem if study else "default")
    settings["overrides"] = [*settings.get("overrides", []), *overrides]
    missing = [k for k in ("archs", "datasets", "seeds") if k not in settings]
    if missing:
        raise ArchbenchError(
            f"study {study!r} does not name {missing[0]}; allowed: a study file with archs, datasets, seeds"
        )
    return StudySpec(**settings)
