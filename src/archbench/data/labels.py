"""Class labels of any kind (strings, integers that skip values or do not start at 0) as contiguous indices."""

from __future__ import annotations

import numpy as np


def label_sort_key(label: str) -> tuple[int, float, str]:
    """Numbers in numeric order ("2" before "10"), then text in alphabetical order."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def label_text(value: object) -> str:
    """A label as text: a whole float (read from a CSV as 3.0) reads as "3"."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def encode_labels(*parts: np.ndarray) -> tuple[list[np.ndarray], list[str]]:
    """Each part's labels as int64 indices into ``class_names``, the sorted labels seen in any part.

    Every part shares one mapping, so a label seen only in the test split still gets its own class.
    """
    texts = [np.array([label_text(v) for v in np.asarray(part).reshape(-1)], dtype=object) for part in parts]
    class_names = sorted({label for part in texts for label in part}, key=label_sort_key)
    index = {name: i for i, name in enumerate(class_names)}
    codes = [
        np.array([index[label] for label in part], dtype=np.int64).reshape(np.asarray(original).shape)
        for part, original in zip(texts, parts, strict=True)
    ]
    return codes, class_names
