"""The drift check's statistics (core.drift._stats): hand-computed PSI, published Wilson and Newcombe examples,
Holm's adjustment, the reference deciles and how p-values are written."""
from __future__ import annotations

import numpy as np
import pytest

from core.drift._stats import (
    holm_adjusted,
    newcombe_interval,
    population_stability_index,
    reference_cut_points,
    two_proportion_p_value,
    wilson_interval,
)


def test_psi_by_hand():
    # (0.7-0.5) ln(0.7/0.5) + (0.3-0.5) ln(0.3/0.5) = 0.2 * 0.33647 + 0.2 * 0.51083
    assert population_stability_index([0.5, 0.5], [0.7, 0.3]) == pytest.approx(0.169460, abs=1e-6)
    assert population_stability_index([0.2, 0.8], [0.2, 0.8]) == 0.0
    # an empty reference bin counts as 1e-4: (0.1 - 1e-4) ln(0.1 / 1e-4) + (0.9 - 1) ln(0.9)
    expected = 0.0999 * np.log(1000) + 0.1 * np.log(1 / 0.9)
    assert population_stability_index([0.0, 1.0], [0.1, 0.9]) == pytest.approx(expected)


def test_wilson_and_newcombe_match_the_published_examples():
    # Newcombe (1998), Statistics in Medicine 17: 81/263 -> Wilson 0.2553 to 0.3662; 56/70 - 48/80 -> 0.0524 to 0.3339
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert two_proportion_p_value(5, 10, 5, 10) == 1.0


def test_holm_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4 0.02, x3 0.03, x2 0.06, x1 0.04 -> running max 0.02, 0.03, 0.06, 0.06
    assert holm_adjusted([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm_adjusted([0.5, float("nan")]) == pytest.approx([1.0, 1.0])
    assert holm_adjusted([]).size == 0


def test_bins_are_the_reference_deciles():
    # 1..100: the k-th decile sits at position 9.9 k (0-based, linear interpolation): 10.9, 20.8, ..., 90.1
    assert reference_cut_points(np.arange(1, 101)) == pytest.approx([10.9, 20.8, 30.7, 40.6, 50.5, 60.4, 70.3, 80.2,
                                                                     90.1])
    # a value held by most rows is one cut point, not nine
    assert list(reference_cut_points(np.r_[np.zeros(80), np.arange(1, 21)])) == pytest.approx([0.0, 0.2, 10.1])


def test_p_values_below_a_thousandth_are_written_so():
    from core.drift import p_text
    assert [p_text(p) for p in (0.0, 1e-30, 0.000999, 0.001, 0.0344, 1.0, None)] == [
        "< 0.001", "< 0.001", "< 0.001", "0.001", "0.034", "1.000", ""]
