"""Every architecture in configs/model/ exports to ONNX and TorchScript, on a table and on a sequence task, and the
exported network's raw output on the test split equals PyTorch's to 1e-5 (onnxruntime for ONNX)."""

from __future__ import annotations

from functools import cache

import numpy as np
import onnxruntime
import pytest
import torch
import yaml

from archbench.build import build_datamodule, class_of
from archbench.configs import available, config_path
from archbench.data.base import ArchDataModule
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule
from archbench.spec import LINKED_FROM_DATA, RunSpec
from archbench.use.artifacts import describe
from archbench.use.export import export
from archbench.use.load import TrainedModel

TOLERANCE = 1e-5
TASKS = ("wine", "digits")  # a table (13 features, 3 classes) and a sequence task (8 steps of 8 pixels, 10 classes)


@cache
def task_data(name: str) -> ArchDataModule:
    return build_datamodule(RunSpec(arch="mlp", data=name))


def trained_a_little(arch: str, data: ArchDataModule) -> torch.nn.Module:
    """The architecture as its YAML and the data build it, after a few optimizer steps in training mode (so batch
    norm's running statistics and every weight have moved off their initial values), then in eval mode."""
    spec = RunSpec(arch=arch, data=data.name)
    init_args = yaml.safe_load(config_path("model", arch).read_text()).get("init_args", {})
    torch.manual_seed(0)
    model = class_of("model", spec)(**{**init_args, **{name: getattr(data, name) for name in LINKED_FROM_DATA}})
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = data.prepared.x["train"][:32], data.prepared.y["train"][:32]
    for _ in range(2):
        optimizer.zero_grad()
        model.loss(model(x), y).backward()
        optimizer.step()
    return model.eval()


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("arch", available("model"))
def test_exported_network_matches_pytorch_on_the_test_split(arch, task, tmp_path):
    data = task_data(task)
    model = TrainedModel(trained_a_little(arch, data), describe(data), tmp_path, arch)
    x = data.prepared.x["test"].numpy()
    expected = model.network_output(x)
    onnx_file, _ = export(model, "onnx", tmp_path / "net.onnx")
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    assert np.abs(session.run(None, {"x": x})[0] - expected).max() <= TOLERANCE
    torchscript_file, _ = export(model, "torchscript", tmp_path / "net.pt")
    with torch.inference_mode():
        traced = torch.jit.load(str(torchscript_file))(torch.as_tensor(x)).numpy()
    assert np.abs(traced - expected).max() <= TOLERANCE


class SingularValues(ArchModule):
    """A network with an operator ONNX lacks (singular values), standing in for an architecture that cannot export."""

    arch_name = "svd"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale = torch.nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.linalg.svdvals(x)[:, : self.output_size] * self.scale


def test_every_architecture_is_exportable_and_one_that_is_not_gets_one_line_and_no_file(tmp_path):
    data = task_data("digits")
    network = SingularValues(input_size=8, seq_len=8, output_size=2).eval()
    model = TrainedModel(network, describe(data), tmp_path, "svd")
    with pytest.raises(ArchbenchError, match=r"^svd cannot be exported to onnx: .*linalg_svdvals") as raised:
        export(model, "onnx", tmp_path / "net.onnx")
    assert "\n" not in str(raised.value) and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("arch", ["mlp", "lstm"])
def test_a_table_with_category_codes_exports_with_a_dynamic_batch(arch, tmp_path):
    """Codes are one-hot encoded inside the network (models/tabular_inputs.py); unknown and out-of-range codes too."""
    spec = RunSpec(arch=arch, data="wine")
    init_args = yaml.safe_load(config_path("model", arch).read_text()).get("init_args", {})
    torch.manual_seed(0)
    network = class_of("model", spec)(**init_args, task="regression", input_size=4, categorical_cardinalities=[3, 5])
    wine = describe(task_data("wine"))
    columns = {
        **wine["inputs"],
        "columns": ["a", "b", "c", "d"],
        "mean": [0.0] * 4,
        "std": [1.0] * 4,
        "column_transformer": None,
    }
    preprocessing = {**wine, "inputs": columns, "task": "regression", "classes": []}
    model = TrainedModel(network.eval(), preprocessing, tmp_path, arch)
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal((37, 2)), rng.integers(0, 7, size=(37, 2))], axis=1).astype(np.float32)
    expected = model.network_output(x)
    session = onnxruntime.InferenceSession(str(export(model, "onnx", tmp_path / "net.onnx")[0]))
    assert np.abs(session.run(None, {"x": x})[0] - expected).max() <= TOLERANCE
    with torch.inference_mode():
        traced = torch.jit.load(str(export(model, "torchscript", tmp_path / "net.pt")[0]))(torch.as_tensor(x))
    assert np.abs(traced.numpy() - expected).max() <= TOLERANCE
