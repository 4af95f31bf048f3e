"""What every `moderation` command shares: one way to fail, the database it works on, logging.

One exit-code convention for every command, so a script or cron job can tell the two kinds
of failure apart:

- 0: done.
- 1 (``FAILED``): the installation could not do it: the model does not load, scoring failed,
  a process of the stack died, an optional extra is missing.
- 2 (``REFUSED``): what was asked cannot be done as given: an unknown name, id or version, a
  value the service refuses. Click exits 2 for a bad option or argument too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from moderation.config import METRICS_DIR_VARIABLE, Settings, get_settings
from moderation.domain.errors import ServiceError
from moderation.logs import configure
from moderation.storage.db import session_scope
from moderation.storage.migrate import upgrade

FAILED = 1
REFUSED = 2

T = TypeVar("T")


def fail(message: str, code: int = REFUSED) -> NoReturn:
    """Print the error as an operator reads it, one line, and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings_problems(error: ValidationError) -> list[str]:
    """`MODERATION_NAME: why` for each setting the service refused (a setting read under
    another name, such as PROMETHEUS_MULTIPROC_DIR, by that name)."""
    problems = []
    for problem in error.errors(include_input=False, include_url=False):
        field = str(problem["loc"][0]) if problem["loc"] else ""
        variable = f"MODERATION_{field.upper()}" if field in Settings.model_fields else field
        reason = problem["msg"].removeprefix("Value error, ")
        problems.append(f"{variable}: {reason}" if variable else reason)
    return problems


def migrated_database_url() -> str:
    """The database, migrated to head first: these commands are often the first ever run."""
    url = get_settings().database_url
    upgrade(url)
    return url


def in_session(work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction on the migrated database; a change the service refuses
    ends the command with its reason (exit 2) and leaves nothing half-done."""
    try:
        with session_scope(migrated_database_url()) as session:
            return work(session)
    except ServiceError as error:
        fail(error.message)


def configure_logging(level: str | None = None) -> None:
    """Plain lines, or JSON lines with MODERATION_LOG_FORMAT=json (moderation.logs)."""
    settings = get_settings()
    configure(level or settings.log_level, settings.log_format)


def shared_metrics(settings: Settings) -> dict[str, str]:
    """The environment that makes a stack's processes count into one directory, emptied of a
    previous run's values: the API's /metrics then shows the workers' too (moderation/metrics.py).
    Only the files prometheus_client writes are removed from a directory the operator named."""
    directory = (settings.metrics_dir or settings.data_dir / "metrics").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)
    return {METRICS_DIR_VARIABLE: str(directory)}
