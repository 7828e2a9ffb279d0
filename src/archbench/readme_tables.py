"""The README's architecture and dataset tables, generated from ``configs/`` (``make readme``); a test fails when
the README drifts from them.

Each row reads the YAML: its first comment sentence, else the class docstring's first sentence, says what it is; its
``init_args`` are the settings that make it this config.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from archbench.configs import available, config_path
from archbench.errors import ArchbenchError

README = Path(__file__).parents[2] / "README.md"
MARKERS = {"model": "architectures", "data": "datasets"}


def first_sentence(text: str) -> str:
    """Up to the first ``.``, ``:`` or ``;`` that ends a clause outside parentheses ("et al." and "e.g." end none)."""
    text = " ".join(text.split())
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        ends = char in ".:;" and depth == 0 and (i + 1 == len(text) or text[i + 1] == " ")
        if ends and not text[: i + 1].endswith((" al.", "e.g.", "i.e.")):
            text = text[:i]
            break
    return text.strip().rstrip(",").replace("``", "`")


def leading_comment(path: Path) -> str:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# "))
    return " ".join(lines)


def config_class(path: Path) -> type:
    import importlib

    module, _, name = yaml.safe_load(path.read_text())["class_path"].rpartition(".")
    return getattr(importlib.import_module(module), name)


def settings(path: Path) -> str:
    args = (yaml.safe_load(path.read_text()) or {}).get("init_args") or {}
    return ", ".join(f"`{k}: {v}`" for k, v in args.items()).replace("|", "\\|")


def describe(path: Path) -> str:
    comment = leading_comment(path)
    return first_sentence(comment or (config_class(path).__doc__ or "").strip()).replace("|", "\\|")


def data_task(name: str) -> str:
    from archbench.build import build_datamodule
    from archbench.data.sequence import SeriesDataModule
    from archbench.spec import RunSpec

    data = build_datamodule(RunSpec(arch="mlp", data=name))
    if isinstance(data, SeriesDataModule):
        return "regression (forecast)"
    try:
        return data.task
    except ArchbenchError:  # a user's file, not there: the task is read from it
        return "inferred from the target, or `task`"


def table(group: str) -> str:
    if group == "model":
        rows = ["| ARCH | what it is | settings |", "|---|---|---|"]
        rows += [f"| `{n}` | {describe(config_path(group, n))} | {settings(config_path(group, n))} |"
                 for n in available(group)]  # fmt: skip
    else:
        rows = ["| DATA | what it is | task | settings |", "|---|---|---|---|"]
        rows += [f"| `{n}` | {describe(config_path(group, n))} | {data_task(n)} | {settings(config_path(group, n))} |"
                 for n in available(group)]  # fmt: skip
    return "\n".join(rows)


def with_tables(text: str) -> str:
    """``text`` with each generated block (between its BEGIN and END markers) replaced by the table of today."""
    for group, marker in MARKERS.items():
        begin, end = f"<!-- BEGIN generated {marker} (make readme) -->", f"<!-- END generated {marker} -->"
        if begin not in text or end not in text:
            raise ArchbenchError(f"README has no {begin} ... {end} block; allowed: a README with both markers")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{begin}\n{table(group)}\n{end}{tail}"
    return text


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else README
    path.write_text(with_tables(path.read_text()))
    print(f"wrote the architecture and dataset tables of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
