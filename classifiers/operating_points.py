"""Operating points: the hold and reject thresholds of a score, chosen on held-out predictions
for stated rates, and the trade-off table they came from.

The rates are those a site feels (issue 13): clean comments removed (at or above the reject
threshold), harmful comments published (under the hold threshold), and comments held between
the two, the last counted over a day's mix of clean and harmful comments (``clean_share``)
rather than over whatever mix the held-out data happens to have. The predictions must come
from models that never saw the rows (leave-one-source-out), or the table flatters them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["GRID", "OperatingPoint", "Targets", "choose", "rates", "trade_off_markdown"]

# Thresholds tried: every 0.05, and finer above 0.9, where reject thresholds of rare harms sit.
GRID: tuple[float, ...] = tuple(
    sorted(
        {round(x, 3) for x in (*np.arange(0.05, 0.95, 0.05), 0.9, 0.925, 0.95, 0.97, 0.98, 0.99)}
    )
)


@dataclass(frozen=True, slots=True)
class Targets:
    clean_removed: float = 0.005
    harmful_published: float = 0.03
    held: float = 0.15
    # A real day on a news site: about 70% of comments need nothing done.
    clean_share: float = 0.7


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    hold: float
    reject: float
    clean_removed: float  # share of clean rows at or above reject
    harmful_published: float  # share of harmful rows under hold
    held: float  # share held at the targets' clean share

    def meets(self, targets: Targets) -> dict[str, bool]:
        return {
            "clean_removed": self.clean_removed <= targets.clean_removed,
            "harmful_published": self.harmful_published <= targets.harmful_published,
            "held": self.held <= targets.held,
        }


def rates(
    y: np.ndarray, p: np.ndarray, hold: float, reject: float, clean_share: float
) -> OperatingPoint:
    """The three rates of thresholds ``hold`` <= ``reject`` on labels ``y`` (1 harmful)."""
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, dtype=float)
    clean, harmful = p[~y], p[y]
    if not clean.size or not harmful.size:
        raise ValueError("operating points need clean and harmful rows")
    between = (p >= hold) & (p < reject)
    held = clean_share * between[~y].mean() + (1 - clean_share) * between[y].mean()
    return OperatingPoint(
        hold=hold,
        reject=reject,
        clean_removed=float((clean >= reject).mean()),
        harmful_published=float((harmful < hold).mean()),
        held=float(held),
    )


def choose(
    y: np.ndarray, p: np.ndarray, targets: Targets = Targets(), grid: Sequence[float] = GRID
) -> OperatingPoint:
    """The operating point of the targets, in their order of importance: the lowest reject
    threshold that removes no more clean comments than allowed (or the highest tried), then
    the highest hold threshold under it that publishes no more harmful ones than allowed (or
    the lowest tried). The held rate is what those two leave; ``meets`` says if it is met."""
    grid = sorted(grid)
    reject = next(
        (
            r
            for r in grid
            if rates(y, p, r, r, targets.clean_share).clean_removed <= targets.clean_removed
        ),
        grid[-1],
    )
    holds = [h for h in grid if h <= reject]
    hold = next(
        (
            h
            for h in reversed(holds)
            if rates(y, p, h, reject, targets.clean_share).harmful_published
            <= targets.harmful_published
        ),
        holds[0],
    )
    return rates(y, p, hold, reject, targets.clean_share)


def trade_off_markdown(
    label: str,
    y: np.ndarray,
    p: np.ndarray,
    current: tuple[float, float],
    targets: Targets = Targets(),
) -> str:
    """The table a threshold is chosen from: for hold thresholds on the grid (at the chosen
    reject threshold), the three rates; and the chosen and the current points."""
    chosen = choose(y, p, targets)
    shown = [h for h in GRID if h <= chosen.reject]
    lines = [
        f"#### {label}: {int(np.sum(y))} harmful and {int(np.size(y) - np.sum(y))} clean "
        "held-out rows",
        "",
        f"Targets: clean removed <= {targets.clean_removed:.1%}, harmful published <= "
        f"{targets.harmful_published:.0%}, held <= {targets.held:.0%} "
        f"(at {targets.clean_share:.0%} clean).",
        "",
        "| hold | reject | clean removed | harmful published | held |",
        "|---|---|---|---|---|",
    ]
    for hold in shown:
        point = rates(y, p, hold, chosen.reject, targets.clean_share)
        mark = " **chosen**" if hold == chosen.hold else ""
        lines.append(
            f"| {hold:g}{mark} | {chosen.reject:g} | {point.clean_removed:.2%} | "
            f"{point.harmful_published:.1%} | {point.held:.1%} |"
        )
    now = rates(y, p, current[0], current[1], targets.clean_share)
    lines += [
        "",
        f"Chosen: hold {chosen.hold:g}, reject {chosen.reject:g} "
        f"({_verdict(chosen, targets)}). Current setting: hold {now.hold:g}, reject "
        f"{now.reject:g}: clean removed {now.clean_removed:.2%}, harmful published "
        f"{now.harmful_published:.1%}, held {now.held:.1%} ({_verdict(now, targets)}).",
        "",
    ]
    return "\n".join(lines)


def _verdict(point: OperatingPoint, targets: Targets) -> str:
    missed = [name.replace("_", " ") for name, ok in point.meets(targets).items() if not ok]
    return "meets every target" if not missed else "misses " + ", ".join(missed)
