"""A study's grid of runs: cells identified by content, failure-isolated, resumable, optionally parallel.

A cell's record is reused only when its identity (settings, YAML text, data content, archbench version) is the one
its run spec has now; anything else reruns. Run folders are never deleted: a changed cell gets a new folder.
A study is checked and resolved once when it is read (``resolve_study``): running a cell, here or in a worker
process, builds it from plain data and parses nothing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

import torch
import yaml
from tqdm import tqdm

from archbench.assemble import datamodule
from archbench.baselines import BASELINES, applies, run_baseline
from archbench.build import build_datamodule, check_overrides, cpu_count, data_fingerprint, resolved_data_config
from archbench.configs import config_path
from archbench.errors import ArchbenchError
from archbench.record import RunRecord, write_atomic
from archbench.resolve import ResolvedRun, resolve_all
from archbench.runner import train
from archbench.spec import STUDY_FILE, Cell, RunSpec, StudySpec, option_pairs

# Lightning's own bar sits below the grid's bar instead of replacing it.
CELL_PROGRESS_BAR = {"process_position": 1, "leave": False, "refresh_rate": 20}
KEPT_STATUSES = ("ok", "diverged")  # results; "failed" and "preempted" cells run again
EXIT_SIGNALS = {signal.SIGINT: 130, signal.SIGTERM: 143}


class GridInterrupted(Exception):
    """SIGINT or SIGTERM arrived: finished cells are kept; ``code`` is the exit status (130 or 143)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"interrupted (exit {code})")
        self.code = code


def check_study(study: StudySpec) -> list[Cell]:
    """Every cell of the study that applies, after one clear error for anything wrong, before anything runs or is
    written. A forecast baseline is left out (with a note) on a dataset that is not a series to forecast."""
    unknown = [b for b in study.baselines if b not in BASELINES]
    if unknown:
        raise ArchbenchError(f"unknown baseline {unknown[0]!r}; allowed: {', '.join(BASELINES)}")
    cells = study.cells()
    skipped: set[tuple[str, str]] = set()
    for dataset in study.datasets:
        first = [c for c in cells if c.dataset == dataset]
        for cell in first[: len(study.archs) + len(study.baselines)]:
            check_overrides(study.run_spec(cell))
        data = build_datamodule(study.run_spec(first[0]))
        data.prepared  # noqa: B018 - a bad file or window fails here, once
        for baseline in study.baselines:
            if not applies(baseline, data):
                skipped.add((dataset, baseline))
                note = f"archbench: baseline {baseline} left out on {dataset}: {inapplicable(baseline)}"
                print(note, file=sys.stderr)
    return [c for c in cells if not (c.is_baseline and (c.dataset, c.arch) in skipped)]


def inapplicable(baseline: str) -> str:
    if baseline == "seasonal_naive":
        return "it needs a series with --data.season_length"
    if baseline == "minirocket":
        return "it classifies whole series of equal length (not NaN-padded), and this dataset is not such a task"
    return "it forecasts a series, and this dataset is not one"


def write_study(study: StudySpec) -> Path:
    """The study as run, beside its report: what `archbench report` and SLURM array tasks rebuild it from."""
    return write_atomic(study.out_dir / STUDY_FILE, yaml.safe_dump(asdict(study), sort_keys=False))


@dataclass
class ResolvedStudy:
    """A study as read: its cells that apply, each resolved once into plain data, and each one's identity."""

    study: StudySpec
    cells: list[Cell]
    runs: dict[str, ResolvedRun]
    identities: dict[str, str]


def resolve_cells(study: StudySpec, cells: list[Cell]) -> dict[str, ResolvedRun]:
    """Every cell as plain data: a model cell's whole run, a baseline's data (the model cells' own data config)."""
    models = [c for c in cells if not c.is_baseline]
    runs = dict(zip([c.key for c in models], resolve_all([study.run_spec(c) for c in models]), strict=True))
    for cell in cells:
        if cell.is_baseline:
            runs[cell.key] = baseline_run(study.run_spec(cell))
    return runs


def baseline_run(spec: RunSpec) -> ResolvedRun:
    data = resolved_data_config(spec)
    return ResolvedRun(spec, {"seed_everything": spec.seed, "data": data})


def resolve_study(study: StudySpec) -> ResolvedStudy:
    """Check and resolve a study before anything runs: after this, running its cells parses nothing."""
    cells = check_study(study)
    runs = resolve_cells(study, cells)
    return ResolvedStudy(study, cells, runs, {key: run_identity(run) for key, run in runs.items()})


def run_identity(run: ResolvedRun) -> str:
    return run.spec.identity(data_fingerprint(run.data_config()))


def shown_as_cell(run: ResolvedRun, progress: bool) -> ResolvedRun:
    """A model cell without the model summary, and with Lightning's bar below the grid's or none at all."""
    run = run.with_trainer(enable_model_summary=False)
    if not progress or run.config["trainer"].get("enable_progress_bar") is False:  # the user's own choice wins
        return run.with_trainer(enable_progress_bar=False)
    return run.with_callback("lightning.pytorch.callbacks.TQDMProgressBar", **CELL_PROGRESS_BAR)


def run_cell(
    run: ResolvedRun, cell: Cell, identity: str, threads: int | None = None, progress: bool = True
) -> RunRecord:
    """Run one resolved cell and return its record; a failure of any kind becomes a ``failed`` record."""
    if threads:
        torch.set_num_threads(threads)
    spec = run.spec
    try:
        if cell.is_baseline:
            record = run_baseline(cell.arch, datamodule(run.data_config()), spec.dataset_label, cell.seed)
        else:
            record = train(shown_as_cell(run, progress))
    except Exception as error:  # noqa: BLE001 - a broken cell is recorded; the grid goes on
        return failed_record(spec, cell, identity, f"{type(error).__name__}: {error}".splitlines()[0])
    record.identity = identity
    return record


def failed_record(spec: RunSpec, cell: Cell, identity: str, message: str) -> RunRecord:
    """The record of a cell that ended without a result; a rerun of the grid runs it again."""
    label = spec.dataset_label
    record = RunRecord(label, cell.arch, cell.seed, "failed", "", "", kind=cell.kind, error=message)
    record.identity = identity
    return record


def finished_records(cells_dir: Path) -> dict[str, RunRecord]:
    """Records already written for a grid, by cell key."""
    return {path.stem: RunRecord.read(path) for path in sorted(cells_dir.glob("*.json"))}


def reusable(study: StudySpec, cells: list[Cell], identities: dict[str, str]) -> dict[str, RunRecord]:
    """Earlier records of cells whose identity is unchanged, marked as reused."""
    kept = {}
    for key, record in finished_records(study.cells_dir).items():
        if key in identities and record.identity == identities[key] and record.status in KEPT_STATUSES:
            record.reused = True
            kept[key] = record
    return kept


@contextmanager
def stop_on_signals(raise_now: bool) -> Iterator[dict[str, int]]:
    """Turn SIGINT/SIGTERM into a stop request. ``raise_now``: raise at once (the parent of worker processes);
    otherwise SIGTERM only sets the request, so Lightning's own handler checkpoints the cell being trained."""
    stop: dict[str, int] = {}

    def handle(signum: int, _frame: object) -> None:
        stop["code"] = EXIT_SIGNALS[signum]
        if raise_now or signum == signal.SIGINT:
            raise GridInterrupted(stop["code"])

    # A background job starts with SIGINT ignored; the grid must still stop on it.
    previous = {s: signal.signal(s, handle) for s in EXIT_SIGNALS}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_grid(study: StudySpec | ResolvedStudy, jobs: int = 1) -> dict[str, RunRecord]:
    """Run every cell not reusable from an earlier run, writing each record atomically as it ends. A study given as
    a ``StudySpec`` is resolved first; a ``ResolvedStudy`` is run as resolved, without parsing anything.

    Raises ``GridInterrupted`` on SIGINT/SIGTERM after keeping the finished cells.
    """
    resolved = study if isinstance(study, ResolvedStudy) else resolve_study(study)
    study, cells, identities = resolved.study, resolved.cells, resolved.identities
    write_study(study)
    done = reusable(study, cells, identities)
    for key, record in done.items():
        store(study, key, record)
    todo = [c for c in cells if c.key not in done]
    study.cells_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(cells), initial=len(cells) - len(todo), desc=f"grid {study.name}", unit="cell", position=0)
    try:
        if jobs <= 1:
            with stop_on_signals(raise_now=False) as stop:
                run_sequentially(resolved, todo, done, bar, stop)
        elif todo:
            run_in_parallel(resolved, todo, done, bar, jobs)
    finally:
        bar.close()
    return {c.key: done[c.key] for c in cells if c.key in done}


def run_sequentially(resolved, todo, done, bar, stop) -> None:  # noqa: ANN001 - run_grid's own state
    study = resolved.study
    for cell in todo:
        bar.set_postfix_str(cell.key)
        try:
            record = run_cell(resolved.runs[cell.key], cell, resolved.identities[cell.key])
        except (KeyboardInterrupt, SystemExit):  # Lightning turns Ctrl-C during a fit into SystemExit
            raise GridInterrupted(130) from None
        if record.status != "preempted":
            done[cell.key] = store(study, cell.key, record)
            bar.update()
        if record.status == "preempted" or "code" in stop:  # a rerun resumes the preempted cell
            raise GridInterrupted(stop.get("code", 143))


def worker_gpu(worker: int, visible: list[str]) -> str | None:
    """The GPU a grid worker trains on: workers take the visible GPUs in turn; None when there are none."""
    return visible[worker % len(visible)] if visible else None


def visible_gpus(study: StudySpec) -> list[str]:
    """The GPUs a study's cells may share: those CUDA makes visible, when its trainer profile (or an override)
    asks for a GPU, or for ``auto`` and one exists. Empty on the CPU."""
    accelerator = (yaml.safe_load(config_path("trainer", study.trainer).read_text()) or {}).get("accelerator", "auto")
    for key, value in option_pairs(study.overrides):
        if key == "--trainer.accelerator":
            accelerator = value
    if accelerator not in ("gpu", "cuda", "auto") or not torch.cuda.is_available():
        return []
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    return listed.split(",") if listed else [str(i) for i in range(torch.cuda.device_count())]


@dataclass
class SharedCells:
    """The cells a parallel grid runs, handed once to each spawned worker; ``claimed`` is the next one to start,
    shared by this process and every worker, so each cell is started exactly once by whoever is free first."""

    todo: list[Cell]
    runs: dict[str, ResolvedRun]
    identities: dict[str, str]
    threads: int
    claimed: Synchronized

    def claim(self) -> int | None:
        with self.claimed.get_lock():
            index, self.claimed.value = self.claimed.value, self.claimed.value + 1
        return index if index < len(self.todo) else None

    def run(self, index: int) -> RunRecord:
        cell = self.todo[index]
        return run_cell(self.runs[cell.key], cell, self.identities[cell.key], self.threads, progress=False)


WORKER_CELLS: SharedCells | None = None  # set in each spawned worker by start_worker


def start_worker(counter: Synchronized, visible: list[str], cells: SharedCells) -> None:
    """Pool initializer, run once torch and Lightning are imported: each worker sees one GPU of its own (in turn),
    set before it first touches CUDA, and takes its cells from the shared ones."""
    global WORKER_CELLS  # noqa: PLW0603 - a worker process's own state, set once
    with counter.get_lock():
        worker, counter.value = counter.value, counter.value + 1
    gpu = worker_gpu(worker, visible)
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    WORKER_CELLS = cells


def run_next_cell() -> tuple[int, RunRecord] | None:
    """In a worker: start the next cell nobody has started; None once every cell has been started."""
    assert WORKER_CELLS is not None
    index = WORKER_CELLS.claim()
    return None if index is None else (index, WORKER_CELLS.run(index))


def run_in_parallel(resolved, todo, done, bar, jobs: int) -> None:  # noqa: ANN001 - run_grid's state
    """Cells in ``jobs`` processes, each taking the next unstarted cell when it is free.

    On the CPU the grid's own process is one of them: it has already imported torch and Lightning, which a spawned
    worker does before its first cell (seconds), so it trains at once and a grid of short cells does not wait for
    the workers. On GPUs every cell runs in a spawned worker, each with a GPU of its own.
    """
    study = resolved.study
    gpus = visible_gpus(study)
    trains_here = not gpus
    context = get_context("spawn")
    runs = {c.key: resolved.runs[c.key] for c in todo}
    cells = SharedCells(todo, runs, resolved.identities, max(1, usable_cpus() // jobs), context.Value("i", 0))
    # GPUs by worker, not by cell: workers are reused and take the next cell when one ends, so a cell's GPU given by
    # its index could already be busy while another GPU waits.
    pool = ProcessPoolExecutor(
        jobs - trains_here, mp_context=context, initializer=start_worker, initargs=(context.Value("i", 0), gpus, cells)
    )
    keep, all_kept = threading.Lock(), threading.Event()
    kept: set[int] = set()

    def keep_record(index: int, record: RunRecord) -> None:
        with keep:
            if record.status != "preempted":
                done[todo[index].key] = store(study, todo[index].key, record)
            bar.update()
            kept.add(index)
            if len(kept) == len(todo):
                all_kept.set()

    def worker_ended(future: Future) -> None:
        if not future.cancelled() and future.exception() is None and future.result() is not None:
            keep_record(*future.result())

    try:
        with stop_on_signals(raise_now=True) as stop:
            futures = [pool.submit(run_next_cell) for _ in todo]
            for future in futures:
                future.add_done_callback(worker_ended)
            if trains_here:
                train_here(cells, keep_record, stop)
            while not all_kept.wait(0.2):
                if any(f.done() and not f.cancelled() and f.exception() is not None for f in futures):
                    # A worker process died (killed, out of memory, a crash in native code) and the pool stopped
                    # the others: the cells they had started are recorded as failed, and this process runs the rest.
                    for index in range(min(cells.claimed.value, len(todo))):
                        if index not in kept:
                            cell = todo[index]
                            message = "its worker process died (killed, out of memory or crashed); rerun to retry it"
                            spec, identity = resolved.runs[cell.key].spec, resolved.identities[cell.key]
                            keep_record(index, failed_record(spec, cell, identity, message))
                    train_here(cells, keep_record, stop)
    except KeyboardInterrupt:
        raise GridInterrupted(130) from None
    finally:
        # Interrupted: SIGTERM makes a worker in a fit save its checkpoint and stop. Finished: every cell is kept,
        # and a worker still starting up has nothing left to do.
        stop_workers(pool)


def train_here(cells: SharedCells, keep_record, stop: dict[str, int]) -> None:  # noqa: ANN001
    """Run cells in this process until every cell has been started, here or in a worker."""
    before = torch.get_num_threads()
    try:
        while (index := cells.claim()) is not None:
            keep_record(index, cells.run(index))
            if "code" in stop:
                raise GridInterrupted(stop["code"])
    finally:
        torch.set_num_threads(before)


def stop_workers(pool: ProcessPoolExecutor) -> None:
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def array_tasks(cells: list[Cell], cells_per_task: int) -> int:
    return -(-len(cells) // cells_per_task)


def run_array_task(study: StudySpec, task: int, cells_per_task: int) -> list[RunRecord]:
    """Run array task ``task``: cells ``task*n .. task*n+n-1`` in this one process, each stored as it ends."""
    cells = check_study(study)
    last = array_tasks(cells, cells_per_task) - 1
    if not 0 <= task <= last:
        raise ArchbenchError(f"--task {task} is out of range; allowed: 0..{last}")
    mine = cells[task * cells_per_task : (task + 1) * cells_per_task]
    runs = resolve_cells(study, mine)
    records = []
    for cell in mine:
        identity = run_identity(runs[cell.key])
        kept = reusable(study, [cell], {cell.key: identity})
        record = kept.get(cell.key) or run_cell(runs[cell.key], cell, identity, progress=False)
        records.append(store(study, cell.key, record))
    return records


def usable_cpus() -> int:
    """CPUs this process may use: SLURM's allocation when inside one, else the affinity mask (cgroup-aware)."""
    allocated = os.environ.get("SLURM_CPUS_PER_TASK", "")
    return min(int(allocated), cpu_count()) if allocated.isdigit() else cpu_count()


def store(study: StudySpec, key: str, record: RunRecord) -> RunRecord:
    record.write(study.cells_dir / f"{key}.json")
    return record
