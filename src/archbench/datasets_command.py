"""``archbench datasets``: the catalogue as a table, as JSON, or one entry with its citation (no torch import)."""

from __future__ import annotations

import json

from archbench.catalog import Entry, entries, entry
from archbench.errors import ArchbenchError

COLUMNS = ("name", "task", "family", "rows", "shape", "source", "extra")


def table_lines(found: list[Entry]) -> list[str]:
    """A fixed-width table: one line per dataset, with what a run needs installed (``extra``)."""
    rows = [(e.name, e.task, e.family, f"{e.rows:,}", e.shape, e.source, e.extra or "") for e in found]
    header = ("name", "task", "family", "rows", "features / length × channels", "source", "extra needed")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    tables = sum(e.family == "table" and e.real for e in found)
    sequences = sum(e.family == "sequence" and e.real for e in found)
    lines.append(f"{len(found)} datasets: {tables} real tables, {sequences} real sequence tasks, "
                 f"{sum(not e.real for e in found)} generated")  # fmt: skip
    return lines


def entry_lines(found: Entry) -> list[str]:
    facts = found.as_dict()
    return [f"{key}: {value}" for key, value in facts.items() if value is not None]


def run_datasets(name: str | None, as_json: bool) -> int:
    if name is not None:
        found = entry(name)
        if found is None:
            raise ArchbenchError(f"{name!r} is a template for your own file, not a catalogue entry; see its --help")
        print(json.dumps(found.as_dict(), indent=2) if as_json else "\n".join(entry_lines(found)))
        return 0
    catalogue = entries()
    print(json.dumps([e.as_dict() for e in catalogue], indent=2) if as_json else "\n".join(table_lines(catalogue)))
    return 0
