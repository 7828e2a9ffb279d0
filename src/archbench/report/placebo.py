"""The placebo's false-verdict rate: how often the verdict rule calls the MLP different from itself on real data.

``mlp_placebo`` is the MLP under another name, trained on its own seeds (configs/model/mlp_placebo.yaml). On each
dataset the verdict rule (report/verdicts.py) is applied to the pair alone, on the primary metric; the share of
datasets it calls "differ" is a false-verdict rate, to be read beside the α the rule promises. The placebo's seeds
are not the MLP's, so the pair is tested with Welch's test (the rule's test for runs that share no seed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from archbench.report.build import Row, dataset_scale, primary_metric, seed_groups
from archbench.report.verdicts import CANNOT_TELL, DIFFER, NOTHING, analyze

ORIGINAL, PLACEBO = "mlp", "mlp_placebo"


@dataclass(frozen=True)
class PlaceboRate:
    """Verdicts of the original against its placebo, per dataset, and the share of tested datasets called differ."""

    verdicts: dict[str, str]  # dataset -> similar, differ, inconclusive, or cannot tell (not tested)

    @property
    def tested(self) -> list[str]:
        return [d for d, v in self.verdicts.items() if v not in (CANNOT_TELL, NOTHING)]

    @property
    def differ(self) -> list[str]:
        return [d for d, v in self.verdicts.items() if v == DIFFER]

    @property
    def rate(self) -> float:
        """Datasets called differ over datasets tested; NaN when none was tested."""
        return len(self.differ) / len(self.tested) if self.tested else float("nan")


def pair_verdict(rows: list[Row], original: str, placebo: str, margin: float | None, alpha: float) -> str:
    """The verdict rule on one dataset's successful runs of ``original`` and ``placebo`` alone."""
    ok = [r for r in rows if r["status"] == "ok" and r["arch"] in (original, placebo)]
    metric = primary_metric(ok)
    groups = seed_groups(ok, metric) if metric else {}
    if set(groups) != {original, placebo}:
        return CANNOT_TELL
    analysis = analyze(groups, dataset_scale(metric, ok, margin, alpha))
    return CANNOT_TELL if analysis.kind == NOTHING else analysis.kind


def placebo_rate(
    rows: list[Row], original: str = ORIGINAL, placebo: str = PLACEBO, margin: float | None = None, alpha: float = 0.05
) -> PlaceboRate:
    """Per dataset of a results table (``results.csv`` rows), the verdict between ``original`` and ``placebo``."""
    by_dataset: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_dataset[row["dataset"]].append(row)
    return PlaceboRate({d: pair_verdict(r, original, placebo, margin, alpha) for d, r in sorted(by_dataset.items())})
