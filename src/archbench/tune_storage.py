"""Where a tuning study lives, and the lock that keeps its budget exact however many workers share it.

``--storage`` takes one of three kinds:

- ``sqlite:///<file>`` (the default, ``reports/<name>/tune.db``): one machine, a few workers.
- ``journal:<file>``: Optuna's journal file, for workers on a cluster that share a filesystem but no database server.
- ``postgresql://...``: Optuna's RDB storage, for many workers. Each running trial records a heartbeat; a trial whose
  worker died (killed, preempted, node lost) is failed once ``grace_period`` seconds pass without one, and tried again
  with the same parameters, at most ``max_retry`` times. The URL's query may set ``heartbeat_interval``,
  ``grace_period`` and ``max_retry`` (``HEARTBEAT_DEFAULTS``); the rest of the URL goes to SQLAlchemy as it is.

Workers take turns to count the study's trials and ask for a new one: under a file lock beside a SQLite or journal
file, under a PostgreSQL advisory lock (held by the server, so it needs no shared filesystem and a killed worker
releases it) for a PostgreSQL study.
"""

from __future__ import annotations

import fcntl
import hashlib
import warnings
from pathlib import Path
from typing import IO, Any

import optuna
from optuna.exceptions import ExperimentalWarning

from archbench.errors import ArchbenchError

JOURNAL_PREFIX = "journal:"
SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres")
POSTGRES_DRIVER = "postgresql+psycopg2"
DRIVER_EXTRA = "postgres"  # pip install 'archbench[postgres]' brings the PostgreSQL driver
HEARTBEAT_DEFAULTS = {"heartbeat_interval": 30, "grace_period": 120, "max_retry": 3}  # seconds, seconds, retries


def is_postgres(url: str) -> bool:
    return url.split(":", 1)[0].split("+", 1)[0] in POSTGRES_SCHEMES


def heartbeat_settings(url: str) -> tuple[str, dict[str, int]]:
    """The URL for SQLAlchemy (without archbench's own query options; psycopg2 unless it names a driver), and those
    options over their defaults."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ArchbenchError(f"--storage {url!r} is not a database URL ({error}); allowed: postgresql://...") from error
    settings = dict(HEARTBEAT_DEFAULTS)
    for key in HEARTBEAT_DEFAULTS:
        if key in parsed.query:
            value = parsed.query[key]
            if not (isinstance(value, str) and value.isdigit() and int(value) > 0):
                raise ArchbenchError(f"--storage option {key}={value}; allowed: a whole number >= 1")
            settings[key] = int(value)
    plain = parsed.difference_update_query(HEARTBEAT_DEFAULTS)
    if plain.drivername in POSTGRES_SCHEMES:  # SQLAlchemy 2.1 would pick psycopg 3; the extra installs psycopg2
        plain = plain.set(drivername=POSTGRES_DRIVER)
    return plain.render_as_string(hide_password=False), settings


def shown(url: str) -> str:
    """The storage URL as printed: a database password is masked (``***``)."""
    if not is_postgres(url):
        return url
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def require_driver(url: str) -> None:
    """One clear line when the database driver of ``url`` is not installed."""
    from sqlalchemy.engine import make_url

    dialect = make_url(url).get_dialect()
    try:
        dialect.import_dbapi()
    except ImportError as error:
        raise ArchbenchError(
            f"--storage {url.split(':', 1)[0]}://...: the database driver is not installed ({error}); "
            f"allowed: pip install 'archbench[{DRIVER_EXTRA}]', or a journal:<file> or sqlite:/// storage"
        ) from error


def postgres_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage with heartbeats: a trial whose worker stopped beating is failed and retried."""
    from sqlalchemy.exc import SQLAlchemyError

    plain, settings = heartbeat_settings(url)
    require_driver(plain)
    retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=settings["max_retry"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            return optuna.storages.RDBStorage(
                plain,
                heartbeat_interval=settings["heartbeat_interval"],
                grace_period=settings["grace_period"],
                heartbeat_stale_trial_callback=retry,
            )
    except SQLAlchemyError as error:
        first = str(error).strip().splitlines()[0]
        raise ArchbenchError(f"--storage {url.split('@')[-1]}: cannot open the database ({first})") from error


def make_storage(url: str) -> optuna.storages.BaseStorage | str:
    """The Optuna storage that ``url`` names (see the module docstring)."""
    if url.startswith(JOURNAL_PREFIX):
        path = Path(url.removeprefix(JOURNAL_PREFIX))
        path.parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    if is_postgres(url):
        return postgres_storage(url)
    if url.startswith(SQLITE_PREFIX):
        Path(url.removeprefix(SQLITE_PREFIX)).parent.mkdir(parents=True, exist_ok=True)
    return url


class FileLock:
    """An exclusive ``flock`` on a file beside the storage (workers on one machine or one shared filesystem)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


class AdvisoryLock:
    """A PostgreSQL session advisory lock keyed by the study's name; the server drops it if the worker dies."""

    def __init__(self, url: str, name: str) -> None:
        import sqlalchemy

        plain, _ = heartbeat_settings(url)
        engine = sqlalchemy.create_engine(plain, poolclass=sqlalchemy.pool.NullPool)
        self.connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        self.held = False

    def acquire(self) -> None:
        from sqlalchemy import text

        self.connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self.key})
        self.held = True

    def release(self) -> None:
        from sqlalchemy import text

        if self.held:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self.held = False


class BudgetLock:
    """Held from counting a study's trials until its next trial exists; ``release`` may be called early and twice."""

    def __init__(self, url: str, lock_file: Path, study_name: str) -> None:
        self.lock: FileLock | AdvisoryLock = AdvisoryLock(url, study_name) if is_postgres(url) else FileLock(lock_file)

    def __enter__(self) -> BudgetLock:
        self.lock.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def release(self) -> None:
        self.lock.release()
