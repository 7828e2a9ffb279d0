"""Messages from dependencies that a user of archbench cannot act on, silenced where they come from (by module and
message), never all warnings at once; and progress bars kept out of run logs."""

from __future__ import annotations

import logging
import sys
import warnings

# (module the warning is attributed to, start of its message): Lightning's own pytree helper calls a torch API that
# torch deprecated; nothing in a user's run changes it.
DEPENDENCY_WARNINGS = (("lightning.pytorch.utilities._pytree", r"`isinstance\(treespec, LeafSpec\)` is deprecated"),)
# Lightning logs an advertisement for its cloud logger on every run.
ADVERTISEMENT_LOGGERS = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")
ADVERTISEMENT_START = "💡 Tip:"


class NoAdvertisement(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(ADVERTISEMENT_START)


def silence_dependency_noise() -> None:
    """Install the filters once per process (repeating is harmless: warnings dedupes, the filter is one object)."""
    for module, message in DEPENDENCY_WARNINGS:
        warnings.filterwarnings("ignore", message=message, module=module)
    for name in ADVERTISEMENT_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, NoAdvertisement) for f in logger.filters):
            logger.addFilter(NoAdvertisement())


def writes_to_terminal() -> bool:
    """Whether stderr (where progress bars draw) is a terminal: a file or a pipe gets no progress bar."""
    return sys.stderr.isatty()
