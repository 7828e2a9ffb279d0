"""``archbench train --data csv --help``: the ``--data.*`` (and ``--model.*``) options the named classes accept, listed
under the command's own options. Only a ``--data`` or ``--arch`` named beside ``--help`` imports its class."""

from __future__ import annotations

import argparse
import inspect

from archbench.spec import LINKED_FROM_DATA, RunSpec

SKIPPED = set(LINKED_FROM_DATA)  # filled in from the data, never given by hand


def named_classes(argv: list[str]) -> dict[str, tuple[str, str]]:
    """The groups whose class the command line names: {"data": ("csv", arch), "model": (arch, arch)}."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--arch")
    parser.add_argument("--data")
    known, _ = parser.parse_known_args(argv)
    arch = known.arch or "lstm"
    named = {}
    if known.data:
        named["data"] = (known.data, arch)
    if known.arch:
        named["model"] = (known.arch, arch)
    return named


def option_lines(group: str, cls: type) -> list[str]:
    from archbench.build import init_parameters, type_name

    lines = [f"--{group}.* options of {cls.__name__} (its defaults; the YAML config may set others):"]
    for name, parameter in init_parameters(cls).items():
        if name in SKIPPED:
            continue
        default = "" if parameter.default is inspect.Parameter.empty else f", default {parameter.default!r}"
        lines.append(f"  --{group}.{name}  ({type_name(parameter.annotation)}{default})")
    return lines


def class_options_epilog(argv: list[str]) -> str | None:
    """The options of the classes named beside ``--help``, one per line; None when none is named."""
    named = named_classes(argv)
    if not named:
        return None
    from archbench.build import class_of

    lines = []
    for group, (name, arch) in named.items():
        spec = RunSpec(arch=arch, data=name if group == "data" else "house_prices")
        lines += [*option_lines(group, class_of(group, spec)), ""]
    return "\n".join(lines)
