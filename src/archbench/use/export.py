"""A trained network as an ONNX or TorchScript file with a dynamic batch axis, and a JSON sidecar with the
preprocessing and class names that turn raw rows into its inputs and its outputs into labels or original units.

ONNX goes through ``torch.onnx.export``'s TorchScript-based exporter (``dynamo=False``): it exports every archbench
architecture in well under a second, where the dynamo exporter takes 2-6 s each. TorchScript is Lightning's own
``to_torchscript`` by tracing, so Lightning's trainer properties are never touched while tracing.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import torch

from archbench.errors import ArchbenchError
from archbench.record import write_atomic
from archbench.use.load import TrainedModel

FORMATS = {"onnx": ".onnx", "torchscript": ".pt"}
SIDECAR_FORMAT = "archbench-export"
SIDECAR_VERSION = 1
INPUT_NAME, OUTPUT_NAME = "x", "output"
EXAMPLE_BATCH = 2  # the traced batch size; the batch axis is dynamic, so any other size runs
OPSET = 17


def default_output(run_dir: Path, fmt: str) -> Path:
    return run_dir / f"model{FORMATS[fmt]}"


def sidecar_path(output: Path) -> Path:
    return output.with_suffix(".json")


def export(model: TrainedModel, fmt: str, output: str | Path | None = None) -> tuple[Path, Path]:
    """Write the network as ``fmt`` (onnx or torchscript) and its sidecar; return both paths."""
    if fmt not in FORMATS:
        raise ArchbenchError(f"--format {fmt!r} is not known; allowed: {', '.join(FORMATS)}")
    target = Path(output) if output else default_output(model.run_dir, fmt)
    if target.suffix == ".json":
        raise ArchbenchError(f"--output {target} would be overwritten by the sidecar; allowed: a {FORMATS[fmt]} path")
    if not target.parent.is_dir():
        raise ArchbenchError(f"--output {target}: folder {target.parent} does not exist")
    example = torch.zeros(EXAMPLE_BATCH, *model.input_shape)
    partial = target.with_name(f".{target.name}.partial")  # renamed into place once whole
    try:
        if fmt == "onnx":
            write_onnx(model.network, example, partial)
        else:
            write_torchscript(model.network, example, partial)
    except Exception as error:  # noqa: BLE001 - an operator an exporter lacks: one line naming the architecture
        partial.unlink(missing_ok=True)
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ArchbenchError(f"{model.arch} cannot be exported to {fmt}: {message}") from None
    partial.replace(target)
    sidecar = write_atomic(sidecar_path(target), json.dumps(describe(model, fmt, target), indent=2))
    return target, sidecar


def write_onnx(network: torch.nn.Module, example: torch.Tensor, path: Path) -> None:
    with warnings.catch_warnings():
        # The TorchScript-based exporter is deprecated in favour of dynamo (slower here, see above); and it warns that
        # an RNN traced at one batch size may not run at another, which the dynamic batch axis and the tests rule out.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            network,
            (example,),
            str(path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )


def write_torchscript(network, example: torch.Tensor, path: Path) -> None:  # noqa: ANN001 - a LightningModule
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated in favour of torch.export
        warnings.filterwarnings("ignore", message=".*to_torchscript.*deprecated")
        network.to_torchscript(method="trace", example_inputs=example, check_trace=False).save(str(path))


def describe(model: TrainedModel, fmt: str, target: Path) -> dict[str, Any]:
    """The sidecar: how to feed the exported network and read its output."""
    preprocessing = model.preprocessing
    output = (
        "logits, one per class in 'classes' order (softmax gives probabilities)"
        if model.task == "classification"
        else "standardised targets: output * target.std + target.mean is in the original units"
    )
    return {
        "format": SIDECAR_FORMAT,
        "version": SIDECAR_VERSION,
        "network_format": fmt,
        "file": target.name,
        "arch": model.arch,
        "input": {"name": INPUT_NAME, "shape": ["batch", *model.input_shape], "dtype": "float32"},
        "output": {"name": OUTPUT_NAME, "meaning": output},
        "classes": preprocessing["classes"],
        "preprocessing": preprocessing,
    }
