"""How a user's CSV file writes its rows and numbers: the delimiter (sniffed), the decimal mark (detected from the
cells) and the thousands separator that goes with it; and number cells rewritten as Python writes them."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from archbench.errors import ArchbenchError

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {"\\t": "\t", "tab": "\t"}
DECIMALS = (".", ",")
SNIFF_BYTES = 1 << 16
EXPONENT = r"([eE][+-]?\d+)?"
# A number with the decimal mark ``d`` and thousands separator ``t``: 1234, 1t234d5, d5, -12d75e3.
NUMBER = r"^[+-]?(\d{{1,3}}(\{t}\d{{3}})+|\d*)(\{d}\d+)?" + EXPONENT + "$"
# Cells that can only be read one way: a decimal mark followed by other than three digits, or after grouped thousands.
UNAMBIGUOUS = {
    ",": re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+,\d+|\d*,(\d{1,2}|\d{4,}))" + EXPONENT + "$"),
    ".": re.compile(r"^[+-]?(\d{1,3}(,\d{3})+\.\d+|\d*\.(\d{1,2}|\d{4,}))" + EXPONENT + "$"),
}


@dataclass(frozen=True)
class Dialect:
    """A file's delimiter and decimal mark; the thousands separator is the other of comma and point."""

    delimiter: str
    decimal: str

    @property
    def thousands(self) -> str:
        return "." if self.decimal == "," else ","

    def describe(self, detected: set[str]) -> str:
        def shown(name: str, value: str) -> str:
            return f"{name} {value!r}" + (" (detected)" if name in detected else "")

        parts = [shown("delimiter", self.delimiter), shown("decimal", self.decimal), f"thousands {self.thousands!r}"]
        return ", ".join(parts) + "; set --data.delimiter or --data.decimal to change"

    def number_text(self, column: pd.Series) -> pd.Series:
        """Cells written as numbers in this dialect (1.234,5 or 1,234.5) rewritten as Python reads them (1234.5);
        every other cell unchanged."""
        pattern = NUMBER.format(t=self.thousands, d=self.decimal)
        numbers = column.str.match(pattern) & column.str.contains(r"\d")
        if not numbers.any():
            return column
        rewritten = column[numbers].str.replace(self.thousands, "", regex=False)
        if self.decimal != ".":
            rewritten = rewritten.str.replace(self.decimal, ".", regex=False)
        return column.mask(numbers, rewritten)


def chosen_delimiter(delimiter: str | None) -> str | None:
    if delimiter is None:
        return None
    return DELIMITER_NAMES.get(delimiter, delimiter)


def sniff_delimiter(path: Path) -> str:
    """The delimiter csv.Sniffer finds among comma, semicolon, tab and pipe in the file's first lines; comma if none."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        sample = handle.read(SNIFF_BYTES)
    lines = sample.splitlines()
    if len(sample) == SNIFF_BYTES and len(lines) > 1:
        sample = "\n".join(lines[:-1])  # the last line may be cut
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


def detect_decimal(cells: pd.DataFrame) -> str:
    """Comma when more cells can only be read with a decimal comma (3,14 or 1.234,5) than with a point (2.50 or
    1,234.5); a point when the cells do not say (1,250 alone)."""
    text = pd.Series(cells.to_numpy().ravel(), dtype=str)
    votes = {mark: int(text.str.match(pattern).sum()) for mark, pattern in UNAMBIGUOUS.items()}
    return "," if votes[","] > votes["."] else "."


def require_dialect(delimiter: str | None, decimal: str | None) -> None:
    if delimiter is not None and len(chosen_delimiter(delimiter)) != 1:
        raise ArchbenchError(f"delimiter {delimiter!r} is not one character; allowed: ',', ';', '\\t', '|' or another")
    if decimal is not None and decimal not in DECIMALS:
        raise ArchbenchError(f"decimal {decimal!r} is not known; allowed: {', '.join(map(repr, DECIMALS))}")
