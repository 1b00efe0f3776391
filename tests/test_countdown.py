"""The countdown of a long job (core/countdown.py): hidden until the pace is steady, never thrown by a slow first
step."""
from __future__ import annotations

import pytest

from core.countdown import Countdown


def test_the_countdown_ignores_a_slow_first_step_and_waits_for_a_steady_pace():
    clock = iter([0.0, 10.0, 11.0, 12.0, 13.0, 14.0])  # the first 1% takes 10 s (setup), then 1 s per 1%
    countdown = Countdown(now=lambda: next(clock))
    shown = [countdown.update(f) for f in (0.0, 0.01, 0.02, 0.03, 0.04, 0.05)]
    assert shown[:4] == [None, None, None, None]  # no pace yet, then too few readings to trust
    assert shown[4:] == [pytest.approx(3 / 0.03 * 0.96), pytest.approx(4 / 0.04 * 0.95)]  # 96 s, 95 s: not 16 min


def test_the_countdown_stays_hidden_while_the_pace_jumps():
    clock = iter([0.0, 1.0, 2.0, 8.0, 9.0, 20.0])  # 1 s, 6 s, 1 s, 11 s per step
    countdown = Countdown(now=lambda: next(clock))
    assert [countdown.update(f) for f in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)] == [None] * 6
