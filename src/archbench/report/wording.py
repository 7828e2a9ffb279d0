"""The sentences a researcher quotes: one verdict line per dataset and one line for its baselines."""

from __future__ import annotations

import math

from archbench.report.verdicts import CANNOT_TELL, DIFFER, NOTHING, SIMILAR, Analysis, Comparison


def format_ratio(ratio: float) -> str:
    """A times-worse ratio with enough digits to tell 1.02× from 1×."""
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.3g}×"


def seeds_text(seeds: float) -> str:
    if math.isnan(seeds):
        return "more seeds would be needed"
    if math.isinf(seeds):
        return "even 1000 seeds per architecture would not decide it at the observed gaps"
    return f"about {seeds:.0f} seeds per architecture would decide it (80% power at the observed gaps)"


def small_differences(analysis: Analysis) -> str:
    """The note for pairs whose difference is significant but smaller than the margin."""
    small = [f"{p.better} vs {p.worse}" for p in analysis.pairs if p.below_margin(analysis.alpha)]
    return f"; significant but smaller than the margin, so not a difference: {', '.join(small)}" if small else ""


def trivial_text(analysis: Analysis) -> str:
    flagged = [f"{c.arch} is {c.flag}" for c in analysis.networks if c.flag]
    return f"; {'; '.join(flagged)}" if flagged else ""


def equivalent_text(analysis: Analysis) -> str:
    others = analysis.equivalent_to_best[1:]
    return f"; shown equivalent to the best: {', '.join(others)}" if others else ""


def verdict(dataset: str, analysis: Analysis, metric: str) -> str:
    """One line that answers "do the architectures perform similarly?" for one dataset."""
    networks, alpha, margin = analysis.networks, analysis.alpha, analysis.scale.text
    if not networks:
        return f"{dataset}: no successful network runs — nothing to compare"
    best = networks[0]
    best_text = f"{best.arch} ({metric} {best.mean:.4g})"
    notes = small_differences(analysis) + trivial_text(analysis)
    if analysis.kind == NOTHING:
        return f"{dataset}: only {best.arch} finished — nothing to compare{trivial_text(analysis)}"
    if analysis.kind == CANNOT_TELL:
        return f"{dataset}: cannot tell — fewer than 2 runs per architecture (best by mean: {best.arch}){notes}"
    if analysis.kind == SIMILAR:
        return (
            f"{dataset}: architectures perform similarly — every pair within {margin} (TOST, α={alpha:g}); "
            f"best by mean {best_text}{notes}"
        )
    if analysis.kind == DIFFER:
        worse = [f"{c.arch} is {format_ratio(c.ratio)} worse (p_holm={c.p_holm:.2g})" for c in networks if c.differs]
        also = [
            f"{p.better} beats {p.worse} (p_holm={p.p_holm:.2g})"
            for p in analysis.pairs
            if p.p_holm < alpha and p.better != best.arch
        ]
        details = "; ".join(filter(None, [", ".join(worse), ", ".join(also)]))
        return (
            f"{dataset}: architectures differ by more than {margin} — {best.arch} is best ({metric} {best.mean:.4g})"
            f"; {details} (minimum-effect test, Holm, α={alpha:g}){equivalent_text(analysis)}{notes}"
        )
    spread = format_ratio(max(c.ratio for c in networks))
    return (
        f"{dataset}: inconclusive — no pair is shown to differ by more than {margin}, and not every pair is shown "
        f"within it (α={alpha:g}); best by mean {best_text}, spread of means {spread}, fewest seeds "
        f"{min(c.n for c in networks)}; {seeds_text(analysis.seeds_needed)}{equivalent_text(analysis)}{notes}"
    )


def baseline_sentence(c: Comparison, best: str) -> str:
    if math.isnan(c.ratio) or c.test == "—":
        return f"{c.arch}: not compared with the networks"
    if c.ratio < 1:
        how = f"{format_ratio(1 / c.ratio)} better than" if c.ratio > 0 else "infinitely better than"
    else:
        how = f"{format_ratio(c.ratio)} worse than"
    p_text = "untested (n<2)" if math.isnan(c.p_holm) else f"{c.p_holm:.2g}"
    return f"{c.arch} is {how} the best network ({best}), p_holm(beyond the margin) = {p_text}"


def baseline_line(analysis: Analysis) -> str:
    """Each baseline against the best network, Holm-adjusted across the baselines; empty without baselines."""
    if not analysis.baselines:
        return ""
    best = analysis.networks[0].arch if analysis.networks else "none"
    return "; ".join(baseline_sentence(c, best) for c in analysis.baselines)
