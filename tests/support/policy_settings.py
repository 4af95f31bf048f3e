"""What several worker tests share."""

from __future__ import annotations

from classifiers import DEFAULT_MODEL_DIR
from moderation.config import Settings
from moderation.domain.policy import Thresholds

# The policy defaults, passed explicitly so a MODERATION_* variable on the machine cannot move
# what a test sees.
DEFAULTS = Thresholds()


def default_policy_settings(limits: Thresholds = DEFAULTS) -> Settings:
    """Settings with the built-in model and the policy's default thresholds (or ``limits``)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        model_dir=DEFAULT_MODEL_DIR,
        spam_reject_threshold=limits.spam_reject,
        toxicity_reject_threshold=limits.toxicity_reject,
        spam_hold_threshold=limits.spam_hold,
        toxicity_hold_threshold=limits.toxicity_hold,
        hold_links=limits.hold_links,
    )
