"""What was run, in the report: the study's settings, each architecture's size and key settings, the command, the
commit and the versions, read from the files a study leaves beside its report and from its run records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from archbench.report.render import Block, Table
from archbench.spec import LINKED_FROM_DATA, STUDY_FILE

INVOCATION_FILE = "invocation.json"  # written by compare: the command, folder, commit and versions
SHAPES = LINKED_FROM_DATA
STUDY_SHOWN = (
    "archs",
    "datasets",
    "seeds",
    "baselines",
    "trainer",
    "max_epochs",
    "overrides",
    "cell_overrides",
    "protocol",
    "reference",
    "tune",
    "not_applicable",  # dataset/arch pairs a study left out (archbench/applicability.py)
)


def text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def init_args(config: dict[str, Any], group: str) -> str:
    """A group's init args as ``name=value``, without the shapes linked in from the data."""
    args = (config.get(group) or {}).get("init_args") or {}
    return ", ".join(f"{k}={text(v)}" for k, v in sorted(args.items()) if k not in SHAPES and v is not None)


def class_mapping(log_dir: Path, shown: int = 12) -> str:
    """A classification run's original label of each class index, from the hparams the data linked in."""
    hparams = log_dir / "hparams.yaml"
    try:
        names = (yaml.safe_load(hparams.read_text()) or {}).get("class_names") if hparams.is_file() else None
    except yaml.YAMLError:  # a custom model's hparams may hold Python objects: show no mapping rather than fail
        names = None
    if not names or names == [str(i) for i in range(len(names))]:  # labels that are their own indices say nothing
        return ""
    more = f", … ({len(names)} classes)" if len(names) > shown else ""
    return "classes " + ", ".join(f"{i}={name}" for i, name in enumerate(names[:shown])) + more


def run_settings(rows: list[dict[str, str]]) -> Table:
    """Per dataset and architecture: parameters, model settings, data settings and epochs of its first run."""
    table = Table(["dataset", "arch", "params", "model settings", "data settings", "epochs"], [])
    seen = set()
    for row in sorted(rows, key=lambda r: (r["dataset"], r["arch"], r["seed"])):
        key = (row["dataset"], row["arch"])
        record_path = Path(row["log_dir"]) / "run.json" if row["log_dir"] else None
        if key in seen or record_path is None or not record_path.is_file():
            continue
        seen.add(key)
        config = yaml.safe_load(json.loads(record_path.read_text()).get("config") or "") or {}
        trainer = config.get("trainer") or {}
        data = "; ".join(part for part in (init_args(config, "data"), class_mapping(record_path.parent)) if part)
        table.rows.append([*key, row["params"], init_args(config, "model"), data,
                           str(trainer.get("max_epochs", ""))])  # fmt: skip
    return table


def settings_blocks(out_dir: Path, rows: list[dict[str, str]]) -> list[Block]:
    """The "What was run" section; empty parts (a report rebuilt from records alone) are left out."""
    blocks: list[Block] = [("h2", "What was run")]
    study_file = out_dir / STUDY_FILE
    if study_file.is_file():
        study = yaml.safe_load(study_file.read_text()) or {}
        shown = [[name, text(study[name])] for name in STUDY_SHOWN if study.get(name) not in (None, [], {})]
        blocks.append(Table(["study setting", "value"], shown))
    invocation_file = out_dir / INVOCATION_FILE
    if invocation_file.is_file():
        invocation = json.loads(invocation_file.read_text())
        git = invocation.get("git") or {}
        dirty = " (with uncommitted changes)" if git.get("dirty") else ""
        versions = ", ".join(f"{k} {v}" for k, v in sorted((invocation.get("versions") or {}).items()))
        blocks += [("p", f"Command: `{invocation.get('command', '')}`"),
                   ("p", f"archbench commit {git.get('commit', 'unknown')}{dirty}; {versions}.")]  # fmt: skip
    table = run_settings(rows)
    if table.rows:
        blocks.append(table)
    return blocks if len(blocks) > 1 else []
