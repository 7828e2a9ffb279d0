"""Answer "do the architectures perform similarly?" from results.csv: statistics, figures, report.md/html."""

from archbench.report.build import build_report

__all__ = ["build_report"]
