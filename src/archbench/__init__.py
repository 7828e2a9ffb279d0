"""archbench: do different neural network architectures yield similar performance?

``import archbench`` stays light (no torch); ``archbench.load`` imports what it needs when called.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load"]


def __getattr__(name: str) -> Any:
    if name == "load":
        from archbench.use.load import load

        return load
    raise AttributeError(f"module 'archbench' has no attribute {name!r}")
