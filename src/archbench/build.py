"""Checks and parts of a run spec before it is resolved: option checks, the data config and its fingerprint.

Model cells (resolve.py) and baselines (``resolved_data_config``) parse the same ``spec.data_args()`` with the same
seed, so a baseline sees exactly the rows, splits, scaling, window and horizon of its model cells.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import inspect
import json
import os
import typing
from functools import cache
from pathlib import Path
from typing import Any

import lightning as L
import yaml
from jsonargparse import ArgumentParser
from lightning.pytorch.callbacks import ModelCheckpoint

from archbench.catalog import data_config
from archbench.configs import config_path
from archbench.data.base import ArchDataModule
from archbench.errors import ArchbenchError
from archbench.spec import RUNNER_OPTIONS, RunSpec, option_pairs

CHECKPOINT_PREFIX = "--checkpoint."


@cache
def data_parser() -> ArgumentParser:
    """The DataModule part of LightningCLI's parser: any ``ArchDataModule`` subclass from a YAML or class path.
    Built once per process: a grid parses every cell's data options for its identity."""
    parser = ArgumentParser(exit_on_error=False)
    parser.add_subclass_arguments(ArchDataModule, "data", fail_untyped=False, required=True)
    return parser


def parse_data(spec: RunSpec) -> tuple[ArgumentParser, Any]:
    parser = data_parser()
    try:
        config = parser.parse_args([*spec.data_args(), "--data.init_args.seed", str(spec.seed)])
    except Exception as error:  # noqa: BLE001 - jsonargparse's errors span many lines; the check below names the option
        check_overrides(spec)
        raise ArchbenchError(f"data: {first_line(error)}") from None
    return parser, config


def resolved_data_config(spec: RunSpec) -> dict[str, Any]:
    """The dataset's class path and every init arg (defaults included) as this run resolves them."""
    parser, config = parse_data(spec)
    return yaml.safe_load(parser.dump(config, skip_none=False))["data"]


def build_datamodule(spec: RunSpec) -> ArchDataModule:
    """A run's DataModule parsed from its spec (a study's checks before it runs, and tests)."""
    parser, config = parse_data(spec)
    try:
        return parser.instantiate_classes(config).data
    except Exception as error:  # noqa: BLE001 - an ArchbenchError raised inside the class is the user's message
        raise unwrap(error) from None


def unwrap(error: BaseException) -> BaseException:
    """The ``ArchbenchError`` that jsonargparse wrapped, if any, else ``error`` itself."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, ArchbenchError):
        cause = cause.__cause__ or cause.__context__
    return cause or error


def first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_fingerprint(data_config: dict[str, Any]) -> str:
    """A hash of the resolved data config and of the content of every file it names (a user's CSV)."""
    files = {}
    for name, value in sorted((data_config.get("init_args") or {}).items()):
        if isinstance(value, str) and value and Path(value).is_file():
            files[name] = file_digest(Path(value))
    text = json.dumps({"config": data_config, "files": files}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def class_of(group: str, spec: RunSpec) -> type:
    """The class a run's ``model`` or ``data`` YAML names."""
    if spec.config_file:
        text = (yaml.safe_load(Path(spec.config_file).read_text()) or {}).get(group) or {}
    else:
        path = config_path("model", spec.arch) if group == "model" else None
        text = yaml.safe_load(path.read_text()) or {} if path else data_config(spec.data)
    module, _, name = str(text.get("class_path", "")).rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise ArchbenchError(f"{group} class {text.get('class_path')!r} cannot be imported") from None


def init_parameters(cls: type) -> dict[str, inspect.Parameter]:
    """A class's constructor arguments, following ``**kwargs`` up to the parents it passes them to."""
    found: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        hints = typing.get_type_hints(klass.__init__)
        parameters = list(inspect.signature(klass.__init__).parameters.values())[1:]
        for p in parameters:
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in found:
                found[p.name] = p.replace(annotation=hints.get(p.name, p.annotation))
        if not any(p.kind == p.VAR_KEYWORD for p in parameters):
            break
    return found


def default_data(arch: str) -> str:
    """The dataset an architecture trains on when none is named: its class's ``default_data``."""
    return class_of("model", RunSpec(arch=arch, data="house_prices")).default_data


def check_overrides(spec: RunSpec) -> None:
    """One line for an unknown ``--model/--data/--trainer`` option (with the closest names) or a value of the wrong
    type (naming the option, the value and the expected type), before LightningCLI prints a parser dump."""
    groups = {"model": None, "data": None, "trainer": L.Trainer}
    replaced = {k.split(".")[0].lstrip("-") for k, _ in option_pairs(spec.overrides) if k in ("--model", "--data")}
    for key, value in option_pairs(spec.overrides):
        group, _, rest = key[2:].partition(".")
        if group not in groups:
            check_runner_option(key)
            continue
        if not rest or group in replaced or rest == "class_path" or (group == "model" and spec.kind == "baseline"):
            continue  # a baseline takes the study's data options; its model is scikit-learn's
        name = rest.removeprefix("init_args.").split(".")[0].rstrip("+")
        cls = groups[group] or class_of(group, spec)
        parameters = init_parameters(cls)
        if name not in parameters:
            raise ArchbenchError(unknown_option(key, [f"--{group}.{n}" for n in parameters]))
        if value is not None and "." not in rest.removeprefix("init_args.") and not rest.endswith("+"):
            check_type(key, value, parameters[name].annotation)


def check_runner_option(key: str) -> None:
    if key in RUNNER_OPTIONS:
        return
    if key.startswith(CHECKPOINT_PREFIX):
        name = key.removeprefix(CHECKPOINT_PREFIX)
        allowed = init_parameters(ModelCheckpoint)
        if name not in allowed:
            raise ArchbenchError(unknown_option(key, [CHECKPOINT_PREFIX + n for n in allowed]))
        return
    trainer = ["--trainer." + n for n in init_parameters(L.Trainer)]
    raise ArchbenchError(unknown_option(key, [*RUNNER_OPTIONS, *trainer, "--model.*", "--data.*"]))


def unknown_option(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=3, cutoff=0.6)
    if close:
        return f"unknown option {key}; did you mean {' or '.join(close)}?"
    return f"unknown option {key}; allowed: {', '.join(allowed)}"


def check_type(key: str, value: str, annotation: Any) -> None:
    """Parse ``value`` the way jsonargparse will; on failure name the option, the value and the expected type."""
    if annotation is inspect.Parameter.empty:
        return
    parser = ArgumentParser(exit_on_error=False)
    try:
        parser.add_argument("--value", type=annotation)
    except Exception:  # noqa: BLE001 - a type jsonargparse cannot check alone is left to LightningCLI
        return
    try:
        parser.parse_args(["--value", value], env=False)
    except Exception:  # noqa: BLE001
        expected = type_name(annotation)
        hint = " (a list is written in brackets, e.g. [a, b])" if "list" in expected else ""
        raise ArchbenchError(f"{key} got {value!r}; expected {expected}{hint}") from None


def type_name(annotation: Any) -> str:
    text = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    return text.replace("typing.", "").replace("NoneType", "None")


def cpu_count() -> int:
    """CPUs this process may use (its affinity mask), not every CPU of the machine."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
