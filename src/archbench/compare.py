"""``archbench compare`` and ``archbench report``: run a study's grid, then answer the question with statistics."""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import yaml

from archbench.configs import config_path
from archbench.errors import ArchbenchError
from archbench.grid import (
    GridInterrupted,
    check_study,
    finished_records,
    run_array_task,
    run_grid,
    usable_cpus,
)
from archbench.record import git_state, versions, write_atomic
from archbench.report.settings import INVOCATION_FILE
from archbench.results import write_results
from archbench.spec import STUDY_FILE, Cell, StudySpec, TuneSpec


def reference_file(out_dir: Path) -> Path | None:
    """The published numbers the study is compared with, if its file names a reference."""
    saved = out_dir / STUDY_FILE
    name = (yaml.safe_load(saved.read_text()) or {}).get("reference") if saved.is_file() else None
    if not name:
        return None
    return Path(name) if Path(name).is_file() else config_path("reference", name)


def report_from_records(out_dir: Path, margin: float | None = None, alpha: float = 0.05) -> Path:
    """Rebuild results.csv from the cell records and the report from it (and the TensorBoard logs)."""
    from archbench.report import build_report

    records = list(finished_records(out_dir / "cells").values())
    if not records:
        raise ArchbenchError(f"no run records under {out_dir / 'cells'}; allowed: a folder written by compare")
    results = write_results(records, out_dir / "results.csv")
    return build_report(results, out_dir, alpha=alpha, margin=margin, reference=reference_file(out_dir))


def print_verdicts(report_md: Path) -> None:
    """Print the report's verdict section: the answer, per dataset."""
    text = report_md.read_text()
    start = text.find("## Verdict")
    end = text.find("\n## ", start + 1)
    print(text[start : end if end > 0 else None].strip() if start >= 0 else text)
    print(f"\nreport: {report_md}  (and report.html, results.csv, PNGs beside it)")


def tuned_study(study: StudySpec) -> StudySpec:
    """Give every architecture on every dataset the study's tuning budget (validation only, on the first seed), then
    return the study with each architecture's best settings as its cell overrides, named ``<name>_tuned``."""
    from archbench.report.tuning import write_tuning_report
    from archbench.tune import best_overrides, completed_scores, run_tuning

    if not study.tune:
        raise ArchbenchError(
            f"study {study.name!r} has no tune settings; allowed: a study file with tune: {{trials: N}}"
        )
    check_study(study)
    settings = {"trials": int(study.tune["trials"]), "pruner": study.tune.get("pruner", "median"),
                "sampler_seed": int(study.tune.get("sampler_seed", 0))}  # fmt: skip
    overrides = {k: list(v) for k, v in study.cell_overrides.items()}
    scores: dict[str, dict[str, list[float]]] = {}
    chosen: dict[str, dict[str, str]] = {}
    for dataset in study.datasets:
        for arch in study.archs:
            if f"{dataset}/{arch}" in study.not_applicable:
                continue
            run = study.run_spec(Cell(dataset, arch, study.seeds[0]))
            optuna_study = run_tuning(TuneSpec(run=run, name=study.name, reports_root=study.reports_root, **settings))
            best = best_overrides(optuna_study)
            overrides.setdefault(f"{dataset}/{arch}", []).extend(best)
            scores.setdefault(dataset, {})[arch] = completed_scores(optuna_study)
            chosen.setdefault(dataset, {})[arch] = " ".join(best)
    tuned = replace(study, name=f"{study.name}_tuned", cell_overrides=overrides, tune=None)
    tuned.out_dir.mkdir(parents=True, exist_ok=True)
    budget = (f"{settings['trials']} trials per architecture and dataset ({settings['pruner']} pruner, TPE seed "
              f"{settings['sampler_seed']}), scored on the validation split of seed {study.seeds[0]}")  # fmt: skip
    print(f"tuning: {write_tuning_report(tuned.out_dir, budget, scores, chosen)}")
    return tuned


def write_invocation(study: StudySpec, command: str) -> Path:
    """The command, folder, archbench commit and package versions of this comparison, for the report."""
    invocation = {"command": command, "cwd": os.getcwd(), "git": git_state(), "versions": versions()}
    return write_atomic(study.out_dir / INVOCATION_FILE, json.dumps(invocation, indent=2))


def run_compare(
    study: StudySpec,
    jobs: int | str = 1,
    task: tuple[int, int] | None = None,
    margin: float | None = None,
    tune: bool = False,
    command: str = "",
    alpha: float = 0.05,
) -> int:
    """Run the study (or one array task's cells of it), report, and exit 0 only when every cell ended ok.

    ``tune``: first give every architecture the study's tuning budget, then compare the tuned settings."""
    if tune:
        study = tuned_study(study)
    workers = usable_cpus() if jobs == "auto" else int(jobs)
    if workers < 1:
        raise ArchbenchError(f"--jobs must be >= 1 or auto, got {jobs}")
    if task is not None:
        records = run_array_task(study, *task)
        for record in records:
            print(f"{record.arch} on {record.dataset} seed {record.seed}: {record.status}")
        return 0 if all(r.status == "ok" for r in records) else 1
    try:
        records = run_grid(study, workers)
    except GridInterrupted as stop:
        print(f"\ninterrupted: finished cells are kept in {study.cells_dir}; rerun the same command to resume")
        return stop.code
    write_invocation(study, command or shlex.join(["archbench", *sys.argv[1:]]))
    reused = [r for r in records.values() if r.reused]
    if reused:
        print(f"reused {len(reused)} of {len(records)} cells from earlier runs with the same settings and data")
    failed = [r for r in records.values() if r.status != "ok"]
    print_verdicts(report_from_records(study.out_dir, margin, alpha))
    if failed:
        listed = ", ".join(f"{r.arch}/{r.dataset}/{r.seed} ({r.status})" for r in failed)
        print(f"{len(failed)} cell(s) did not finish ok: {listed}")
        return 1
    return 0


def run_report(grid: str, reports_root: str, margin: float | None = None, alpha: float = 0.05) -> int:
    out_dir = Path(grid)
    if not (out_dir / "cells").is_dir():
        out_dir = Path(reports_root) / grid
    if not (out_dir / "cells").is_dir():
        raise ArchbenchError(f"grid {grid!r} not found; allowed: a folder or a name under {reports_root}/")
    print_verdicts(report_from_records(out_dir, margin, alpha))
    return 0
