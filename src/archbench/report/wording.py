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


def verdict(dataset: str, analysis: Analysis, metric: str) -> str:
    """One line that answers "do the architectures perform similarly?" for one dataset."""
    networks, alpha = analysis.networks, analysis.alpha
    if not networks:
        return f"{dataset}: no successful network runs — nothing to compare"
    best = networks[0]
    best_text = f"{best.arch} ({metric} {best.mean:.4g})"
    if analysis.kind == NOTHING:
        return f"{dataset}: only {best.arch} finished — nothing to compare"
    if analysis.kind == CANNOT_TELL:
        return f"{dataset}: cannot tell — fewer than 2 runs per architecture (best by mean: {best.arch})"
    if analysis.kind == SIMILAR:
        line = f"{dataset}: architectures perform similarly — every pair within {analysis.margin_text}"
        detectable = any(p.p_holm < alpha for p in analysis.pairs)
        note = "; some differences are significant but smaller than the margin" if detectable else ""
        return f"{line} (TOST, α={alpha:g}); best by mean {best_text}{note}"
    if analysis.kind == DIFFER:
        worse = [
            f"{c.arch} is {format_ratio(c.ratio)} worse (p_holm={c.p_holm:.2g})" for c in networks if c.significant
        ]
        also = [
            f"{p.better} beats {p.worse} (p_holm={p.p_holm:.2g})"
            for p in analysis.pairs
            if p.p_holm < alpha and p.better != best.arch
        ]
        details = "; ".join(filter(None, [", ".join(worse), ", ".join(also)]))
        return f"{dataset}: architectures differ — {best.arch} is best ({metric} {best.mean:.4g}); {details}"
    spread = format_ratio(max(c.ratio for c in networks))
    return (
        f"{dataset}: inconclusive — no pair differs after Holm at α={alpha:g}, and not every pair is shown within "
        f"{analysis.margin_text}; best by mean {best_text}, spread of means {spread}, fewest seeds "
        f"{min(c.n for c in networks)}; {seeds_text(analysis.seeds_needed)}"
    )


def baseline_sentence(c: Comparison, best: str) -> str:
    if math.isnan(c.ratio) or c.test == "—":
        return f"{c.arch}: not compared with the networks"
    if c.ratio < 1:
        how = f"{format_ratio(1 / c.ratio)} better than" if c.ratio > 0 else "infinitely better than"
    else:
        how = f"{format_ratio(c.ratio)} worse than"
    p_text = "untested (n<2)" if math.isnan(c.p_holm) else f"{c.p_holm:.2g}"
    return f"{c.arch} is {how} the best network ({best}), p_holm = {p_text}"


def baseline_line(analysis: Analysis) -> str:
    """Each baseline against the best network, Holm-adjusted across the baselines; empty without baselines."""
    if not analysis.baselines:
        return ""
    best = analysis.networks[0].arch if analysis.networks else "none"
    return "; ".join(baseline_sentence(c, best) for c in analysis.baselines)
