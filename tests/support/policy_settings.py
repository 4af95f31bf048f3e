"""What several worker tests share."""

from __future__ import annotations

from classifiers import DEFAULT_MODEL_DIR
from moderation.config import Settings
from moderation.domain.policy import Thresholds

# The policy defaults, passed explicitly so a MODERATION_* variable on the machine cannot move
# what a test sees.
DEFAULTS = Thresholds()


# What a test may set of the policy: the setting, and the field of Thresholds it becomes.
THRESHOLD_SETTINGS = [
    ("spam_reject_threshold", "spam_reject"),
    ("toxicity_reject_threshold", "toxicity_reject"),
    ("spam_hold_threshold", "spam_hold"),
    ("toxicity_hold_threshold", "toxicity_hold"),
    ("hold_links", "hold_links"),
]


def default_policy_settings(limits: Thresholds = DEFAULTS) -> Settings:
    """Settings with the built-in model and the policy's default thresholds (or ``limits``)."""
    chosen = {setting: getattr(limits, field) for setting, field in THRESHOLD_SETTINGS}
    return Settings(_env_file=None, model_dir=DEFAULT_MODEL_DIR, **chosen)  # type: ignore[call-arg]
