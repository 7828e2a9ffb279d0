"""User-facing errors: one clear line, printed by the CLI with exit code 2."""


class ArchbenchError(Exception):
    """A bad input or setting that the user can fix; the message is a single line."""


class DivergedError(ArchbenchError):
    """Training produced a non-finite loss."""
