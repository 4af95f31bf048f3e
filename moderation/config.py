"""The one Settings object of the service; the only reader of the process environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from moderation.domain.policy import Thresholds


class Settings(BaseSettings):
    """Everything an operator can set, as `MODERATION_<NAME>` variables or in `.env`.

    The defaults run on a laptop with no set-up: a SQLite file and an embedded Redis.
    Production sets `MODERATION_DATABASE_URL` (PostgreSQL) and `MODERATION_REDIS_URL`.
    """

    model_config = SettingsConfigDict(
        env_prefix="MODERATION_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = "sqlite:///./moderation.db"
    # None means "embedded": `moderation up` starts a private Redis and sets this for its children.
    redis_url: str | None = None
    data_dir: Path = Path(".moderation")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)

    # Policy v0 thresholds: a comment at or above `*_reject` is decided without a human,
    # at or above `*_hold` it waits for a moderator.
    spam_reject_threshold: float = Field(default=0.9, ge=0, le=1)
    toxicity_reject_threshold: float = Field(default=0.9, ge=0, le=1)
    spam_hold_threshold: float = Field(default=0.5, ge=0, le=1)
    toxicity_hold_threshold: float = Field(default=0.5, ge=0, le=1)
    hold_links: int = Field(default=2, ge=1)

    # The sweep re-sends comments still `queued` this long after they were last sent, which
    # is what makes "accepted is never lost" hold when Redis or a worker was down.
    requeue_after_seconds: float = Field(default=60.0, gt=0)
    sweep_interval_seconds: float = Field(default=60.0, gt=0)

    # The API groups comment ids into one task per batch: workers score a batch together and
    # write it in bulk, which is what makes 1,000 comments/s reachable.
    dispatch_max_batch: int = Field(default=200, ge=1)
    dispatch_window_ms: float = Field(default=10.0, ge=0)

    # Celery reliability knobs.
    task_soft_time_limit: float = 60.0
    task_time_limit: float = 90.0
    task_max_retries: int = 5
    visibility_timeout_seconds: int = 600

    # A model directory (model.skops + manifest.json) used as it is, bypassing the registry of
    # versions below; None means the registry's active version.
    model_dir: Path | None = None
    # The registry of trained model versions and the ACTIVE pointer; None is `<data_dir>/models`.
    # Until a version is promoted there, the model shipped in the package is the active one.
    models_dir: Path | None = None
    # How often a worker re-reads ACTIVE, so a promotion or rollback needs no restart.
    model_check_seconds: float = Field(default=60.0, gt=0)

    log_level: str = "INFO"

    @property
    def redis_is_embedded(self) -> bool:
        return self.redis_url is None

    @property
    def models_root(self) -> Path:
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(
            spam_reject=self.spam_reject_threshold,
            toxicity_reject=self.toxicity_reject_threshold,
            spam_hold=self.spam_hold_threshold,
            toxicity_hold=self.toxicity_hold_threshold,
            hold_links=self.hold_links,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment for a child process (worker, API) with `MODERATION_*` overrides."""
    env = dict(os.environ)
    env.update({f"MODERATION_{key.upper()}": value for key, value in overrides.items()})
    return env
