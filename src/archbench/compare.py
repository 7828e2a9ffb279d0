"""``archbench compare`` and ``archbench report``: run a grid, then answer the question with statistics."""

from __future__ import annotations

import argparse
from pathlib import Path

from archbench.baselines import BASELINES
from archbench.errors import ArchbenchError
from archbench.grid import GridSpec, finished_records, run_grid, run_one_cell
from archbench.results import write_results

DEFAULT_ARCHS = "linear,mlp,lstm,gru"
DEFAULT_DATA = "adding,sine,breast_cancer"


def names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def grid_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archbench compare",
        description="Run architectures x datasets x seeds (plus scikit-learn baselines) and write a report.",
        epilog="Other --model.*, --data.*, --trainer.* options apply to every model cell.",
    )
    parser.add_argument("--archs", default=DEFAULT_ARCHS, help=f"comma-separated (default {DEFAULT_ARCHS})")
    parser.add_argument("--data", default=DEFAULT_DATA, help=f"comma-separated (default {DEFAULT_DATA})")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    parser.add_argument("--baselines", default=",".join(BASELINES), help="comma-separated, or 'none'")
    parser.add_argument("--name", default="default", help="the grid's folder under reports/")
    parser.add_argument("--max_epochs", type=int, help="per model cell (default: the trainer profile's)")
    parser.add_argument("--trainer", default="cpu", help="trainer profile for every cell")
    parser.add_argument("--jobs", type=int, default=1, help="cells run in parallel processes")
    parser.add_argument("--cell", type=int, help="run only this cell index (a SLURM array task), no report")
    parser.add_argument("--log_root", default="lightning_logs")
    parser.add_argument("--reports_root", default="reports")
    return parser


def spec_from_args(argv: list[str]) -> tuple[GridSpec, argparse.Namespace]:
    options, extra = grid_parser().parse_known_args(argv)
    if options.seeds < 1:
        raise ArchbenchError(f"--seeds must be >= 1, got {options.seeds}")
    if options.jobs < 1:
        raise ArchbenchError(f"--jobs must be >= 1, got {options.jobs}")
    spec = GridSpec(
        name=options.name,
        archs=names(options.archs),
        datasets=names(options.data),
        seeds=list(range(options.seeds)),
        baselines=[] if options.baselines == "none" else names(options.baselines),
        trainer=options.trainer,
        max_epochs=options.max_epochs,
        extra_args=extra,
        log_root=options.log_root,
        reports_root=options.reports_root,
    )
    return spec, options


def report_from_records(out_dir: Path) -> Path:
    """Rebuild results.csv from the cell records and the report from it (and the TensorBoard logs)."""
    from archbench.report import build_report

    records = list(finished_records(out_dir / "cells").values())
    if not records:
        raise ArchbenchError(f"no run records under {out_dir / 'cells'}; allowed: a folder written by compare")
    results = write_results(records, out_dir / "results.csv")
    return build_report(results, out_dir)


def print_verdicts(report_md: Path) -> None:
    """Print the report's verdict section: the answer, per dataset."""
    text = report_md.read_text()
    start = text.find("## Verdict")
    end = text.find("\n## ", start + 1)
    print(text[start : end if end > 0 else None].strip() if start >= 0 else text)
    print(f"\nreport: {report_md}  (and report.html, results.csv, PNGs beside it)")


def run_compare(argv: list[str]) -> int:
    spec, options = spec_from_args(argv)
    if options.cell is not None:
        record = run_one_cell(spec, options.cell)
        print(f"cell {options.cell}: {record.arch} on {record.dataset} seed {record.seed}: {record.status}")
        return 0 if record.status == "ok" else 1
    try:
        records = run_grid(spec, options.jobs)
    except (KeyboardInterrupt, SystemExit):  # Lightning turns Ctrl-C during a fit into SystemExit
        print(f"\ninterrupted: finished cells are kept in {spec.cells_dir}; rerun the same command to resume")
        return 130
    failed = [r for r in records.values() if r.status != "ok"]
    report = report_from_records(spec.out_dir)
    print_verdicts(report)
    if failed:
        print(
            f"{len(failed)} cell(s) did not finish ok: " + ", ".join(f"{r.arch}/{r.dataset}/{r.seed}" for r in failed)
        )
    return 0


def run_report(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="archbench report", description="Rebuild a grid's report without training.")
    parser.add_argument("grid", help="a folder written by compare, or a grid name under reports/")
    parser.add_argument("--reports_root", default="reports")
    options = parser.parse_args(argv)
    out_dir = Path(options.grid)
    if not (out_dir / "cells").is_dir():
        out_dir = Path(options.reports_root) / options.grid
    if not (out_dir / "cells").is_dir():
        raise ArchbenchError(
            f"grid {options.grid!r} not found; allowed: a folder or a name under {options.reports_root}/"
        )
    print_verdicts(report_from_records(out_dir))
    return 0
