"""DDP with two CPU processes (gloo), started for real through the archbench command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.ddp]

ARCHBENCH = str(Path(sys.executable).with_name("archbench"))
TESTS = Path(__file__).parent


def train(tmp_path: Path, name: str, arch: str, data: str, devices: int, batch: int, *extra: str) -> tuple[dict, dict]:
    """Run ``archbench train`` with a shard probe; return the run record and the probes by rank."""
    probe_dir = tmp_path / f"probe_{name}"
    probe = json.dumps({"class_path": "ddp_probe.ShardProbe", "init_args": {"out_dir": str(probe_dir)}})
    args = [
        ARCHBENCH, "train", "--arch", arch, "--data", data, "--max_epochs", "3", "--accelerator", "cpu",
        "--trainer", "ddp" if devices > 1 else "cpu", "--devices", str(devices), "--log_root", str(tmp_path / name),
        "--data.init_args.batch_size", str(batch), "--trainer.deterministic", "true",
        "--trainer.enable_progress_bar", "false", f"--trainer.callbacks+={probe}", *extra,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(TESTS), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, env=env, cwd=TESTS.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "flatten_parameters" not in done.stderr and "contiguous chunk" not in done.stderr
    record = json.loads(next((tmp_path / name).rglob("run.json")).read_text())
    probes = {int(p.stem[4:]): json.loads(p.read_text()) for p in probe_dir.glob("rank*.json")}
    return record, probes


@pytest.mark.parametrize(
    ("arch", "data", "extra"),
    [
        ("mlp", "house_prices", ["--data.init_args.num_samples", "1280"]),
        ("lstm", "adding", ["--data.init_args.num_samples", "1280", "--data.init_args.seq_len", "20"]),
    ],
)
def test_two_process_ddp_matches_one_process_with_the_same_global_batch(tmp_path, arch, data, extra):
    # 896 training rows: DDP ranks of batch 32 together make exactly the single-process batches of 64.
    single, _ = train(tmp_path, "single", arch, data, 1, 64, *extra)
    ddp, probes = train(tmp_path, "ddp", arch, data, 2, 32, *extra)

    assert sorted(probes) == [0, 1] and {p["world_size"] for p in probes.values()} == {2}
    shard0, shard1 = set(probes[0]["rows"]), set(probes[1]["rows"])
    assert len(shard0) == len(shard1) == 448 and not shard0 & shard1, "ranks must see disjoint halves"
    assert probes[0]["test"] == probes[1]["test"], "test metrics must be reduced across ranks"

    run_dir = Path(ddp["log_dir"])
    writers = {p.name.split(".")[5] for p in run_dir.glob("events.out.tfevents.*")}
    assert writers == {str(probes[0]["pid"])}, "only rank 0 writes TensorBoard events"
    assert len(list(run_dir.parent.glob("*/run.json"))) == 1
    for name in ("test/mse", "test/mae"):
        assert ddp["metrics"][name] == pytest.approx(single["metrics"][name], rel=1e-3), name
