"""`archbench predict/export` parse without torch, and `import archbench` stays light until `archbench.load` is used."""

from __future__ import annotations

import subprocess
import sys

import archbench

PROBE = """
import contextlib, io, sys
import archbench
from archbench.cli import main
for args in (["predict", "--help"], ["export", "--help"], ["export", "run", "--format", "pdf"]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(args)
        except SystemExit:
            pass
print("TORCH" if "torch" in sys.modules else "NO_TORCH")
"""


def test_import_archbench_and_predict_export_help_and_argument_errors_do_not_import_torch():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "NO_TORCH", done.stderr[-2000:]


def test_load_is_archbench_use_load():
    from archbench.use.load import load

    assert archbench.load is load and archbench.__all__ == ["load"]
