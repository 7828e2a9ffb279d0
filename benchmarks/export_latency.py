"""Export time and per-row inference latency of a trained MLP (diabetes) and LSTM (adding, T=50): PyTorch eager,
TorchScript and onnxruntime, one thread each, at batch sizes 1 and 256.

    PYTHONPATH=src python benchmarks/export_latency.py [--repeats 200]

Each run is trained for one epoch through the runner (what `archbench train` does), reloaded with `archbench.load` and
exported with `archbench.use.export`; latency is the median over repeats of one forward pass on a batch of random
standardised inputs (latency does not depend on the values), divided by the batch size, after warm-up passes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime
import torch

from archbench.runner import train
from archbench.spec import RunSpec
from archbench.use.export import export
from archbench.use.load import load

CASES = (("mlp", "diabetes"), ("lstm", "adding"))
BATCHES = (1, 256)
QUIET = ("--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false")


def median_us_per_row(forward, x: np.ndarray, repeats: int) -> float:
    for _ in range(5):
        forward(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / len(x) * 1e6


def timed_export(model, fmt: str, path: Path) -> tuple[Path, float]:
    """Seconds of the second export: the first in a process also pays the exporter's one-time start-up."""
    export(model, fmt, path)
    start = time.perf_counter()
    network, _ = export(model, fmt, path)
    return network, time.perf_counter() - start


def measure(arch: str, data: str, folder: Path, repeats: int) -> list[str]:
    record = train(RunSpec(arch=arch, data=data, trainer="cpu", max_epochs=1, log_root=str(folder), overrides=QUIET))
    model = load(record.log_dir)
    onnx_file, onnx_s = timed_export(model, "onnx", folder / f"{arch}.onnx")
    script_file, script_s = timed_export(model, "torchscript", folder / f"{arch}.pt")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
    scripted = torch.jit.load(str(script_file))
    network = model.network

    def eager(x: np.ndarray) -> None:
        with torch.inference_mode():
            network(torch.from_numpy(x))

    def torchscript(x: np.ndarray) -> None:
        with torch.inference_mode():
            scripted(torch.from_numpy(x))

    def ort(x: np.ndarray) -> None:
        session.run(None, {"x": x})

    inputs = np.random.default_rng(0).standard_normal((max(BATCHES), *model.input_shape)).astype(np.float32)
    lines = [f"{arch} on {data}: export onnx {onnx_s:.2f} s, torchscript {script_s:.2f} s"]
    for batch in BATCHES:
        x = inputs[:batch]
        numbers = {name: median_us_per_row(f, x, repeats) for name, f in
                   (("pytorch", eager), ("torchscript", torchscript), ("onnxruntime", ort))}  # fmt: skip
        lines.append(f"  batch {batch:>4}: " + ", ".join(f"{k} {v:.2f} µs/row" for k, v in numbers.items()))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        lines = [line for arch, data in CASES for line in measure(arch, data, Path(folder), args.repeats)]
    print(f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, 1 thread each")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
