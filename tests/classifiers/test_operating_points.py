"""Thresholds chosen on held-out predictions for the rates a site feels."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers.operating_points import Targets, choose, rates, trade_off_markdown


def test_the_rates_are_what_a_site_would_count() -> None:
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.6, 0.95, 0.3, 0.7, 0.92, 0.99])
    point = rates(y, p, hold=0.5, reject=0.9, clean_share=0.5)
    assert point.clean_removed == 0.25  # 0.95
    assert point.harmful_published == 0.25  # 0.3
    assert point.held == pytest.approx(0.5 * 0.25 + 0.5 * 0.25)  # 0.6 and 0.7


def test_the_chosen_point_removes_no_clean_comment_first_then_publishes_least_harm() -> None:
    rng = np.random.default_rng(7)
    clean = rng.beta(2, 8, 5000)  # mostly low scores
    harmful = rng.beta(8, 2, 1000)  # mostly high
    y = np.r_[np.zeros(5000), np.ones(1000)]
    p = np.r_[clean, harmful]
    targets = Targets(clean_removed=0.005, harmful_published=0.03, held=0.15)
    chosen = choose(y, p, targets)
    assert chosen.clean_removed <= 0.005
    assert chosen.harmful_published <= 0.03
    # Lower reject thresholds on the grid would remove more clean comments than allowed.
    assert rates(y, p, chosen.reject - 0.05, chosen.reject - 0.05, 0.7).clean_removed > 0.005
    table = trade_off_markdown("toxicity", y, p, current=(0.5, 0.9), targets=targets)
    assert f"| {chosen.hold:g} **chosen** | {chosen.reject:g} |" in table
    assert "Current setting: hold 0.5, reject 0.9" in table


def test_a_score_that_cannot_meet_the_targets_says_so() -> None:
    y = np.r_[np.zeros(100), np.ones(100)]
    p = np.r_[np.linspace(0, 1, 100), np.linspace(0, 1, 100)]  # no better than chance
    table = trade_off_markdown("threat", y, p, current=(0.9, 0.9))
    assert "misses" in table
