"""The time a long job has left, as a page shows it: a countdown from the pace between progress readings that
stays hidden until the pace is steady, and durations in words. Pure (the clock is a parameter), so the pages'
long jobs (pages/_longjob.py) only draw what it says."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

STABLE_READINGS, STABLE_SPREAD = 3, 0.25  # countdown shown once 3 readings of the time left agree within 25%


def duration(seconds: float) -> str:
    """'45 s', '3 min 20 s'."""
    seconds = max(0.0, float(seconds))
    return f"{seconds:.0f} s" if seconds < 90 else f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


@dataclass
class Countdown:
    """The time left from the pace between progress readings (the first step done, often slowed by setup, is the
    origin, not a sample); None until STABLE_READINGS estimates in a row agree within STABLE_SPREAD, so a first
    guess never jumps from minutes to seconds on screen."""

    now: Callable[[], float] = time.perf_counter
    _origin: tuple[float, float] | None = None
    _finishes: list[float] = field(default_factory=list)

    def update(self, fraction: float) -> float | None:
        """Seconds left after this reading (fraction done, 0-1), or None while the pace is not yet stable."""
        moment = self.now()
        if self._origin is None:
            if fraction > 0:  # the first step done (setup included) is the origin of the pace
                self._origin = (fraction, moment)
            return None
        start_fraction, start_moment = self._origin
        if fraction <= start_fraction:
            return None
        left = (moment - start_moment) / (fraction - start_fraction) * (1.0 - fraction)
        # projected finishing moments; stable when the last few agree to within a share of the time left
        self._finishes = (self._finishes + [moment + left])[-STABLE_READINGS:]
        spread = max(self._finishes) - min(self._finishes)
        if len(self._finishes) < STABLE_READINGS or spread > max(STABLE_SPREAD * left, 2.0):
            return None
        return left
