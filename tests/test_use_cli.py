"""`archbench predict/export` parse without torch, and `import archbench` stays light until `archbench.load` is used."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = "import sys\n{body}\nprint('TORCH' if 'torch' in sys.modules else 'NO_TORCH')"


def torch_imported(body: str, *args: str) -> bool:
    done = subprocess.run([sys.executable, "-c", PROBE.format(body=body), *args], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert last in ("TORCH", "NO_TORCH"), done.stderr[-2000:]
    return last == "TORCH"


@pytest.mark.parametrize("args", [["predict", "--help"], ["export", "--help"], ["export", "run", "--format", "pdf"]])
def test_predict_and_export_help_and_argument_errors_do_not_import_torch(args):
    body = "from archbench.cli import main\ntry:\n    print(main(sys.argv[1:]))\nexcept SystemExit:\n    pass"
    assert not torch_imported(body, *args)


def test_import_archbench_is_light_and_load_is_found_on_first_use():
    assert not torch_imported("import archbench\nassert archbench.__all__ == ['load']")
    assert torch_imported("import archbench\nassert callable(archbench.load)")
