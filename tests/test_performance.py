"""CBPE (core.performance): hand-computed cases of NannyML 0.13.1's formulas, chunking, the reference band, and the
promise that the sampling interval holds on calibrated probabilities."""
import math

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.performance import (
    estimate_metric,
    estimate_performance,
    expected_confusion,
    period_chunks,
    realised_metric,
    reference_band,
    sampling_error,
    sampling_error_components,
    size_chunks,
)

P = np.array([0.9, 0.2, 0.6, 0.1])
D = np.array([True, True, False, False])


def test_expected_confusion_by_hand():
    # TP = .9 + .2, FP = .1 + .8, FN = .6 + .1, TN = .4 + .9
    assert expected_confusion(P, D) == pytest.approx((1.1, 0.9, 0.7, 1.3))


@pytest.mark.parametrize("metric, expected", [("f1", 1.1 / (1.1 + 0.8)), ("precision", 1.1 / 2.0),
                                              ("recall", 1.1 / 1.8)])
def test_estimates_by_hand(metric, expected):
    assert estimate_metric(metric, P, D) == pytest.approx(expected, abs=1e-12)


def test_no_positive_decision_estimates_zero_as_nannyml():
    assert estimate_metric("precision", P, np.zeros(4, bool)) == 0.0


def test_f1_sampling_error_by_hand():
    truth = np.array([1, 1, 0, 0, 1, 0], bool)
    decision = np.array([1, 0, 1, 0, 1, 0], bool)
    # TP 2, FP 1, FN 1: observations (1, 1, 0, 0) x 4/3, std 2/3; fraction 4/6
    std, fraction = sampling_error_components("f1", truth, decision)
    assert std == pytest.approx(2 / 3) and fraction == pytest.approx(4 / 6)
    assert sampling_error((std, fraction), 100) == pytest.approx((2 / 3) / math.sqrt(100 * 4 / 6))


def test_recall_and_precision_components_by_hand():
    truth = np.array([1, 1, 0, 0, 1, 0], bool)
    decision = np.array([1, 0, 1, 0, 1, 0], bool)
    # recall: TP, TP, FN -> (1, 1, 0), std sqrt(2)/3, fraction = minority share 3/6
    assert sampling_error_components("recall", truth, decision) == pytest.approx((math.sqrt(2) / 3, 0.5))
    # precision: TP, TP, FP -> same values, fraction = positive decisions 3/6
    assert sampling_error_components("precision", truth, decision) == pytest.approx((math.sqrt(2) / 3, 0.5))


def test_reference_band_is_mean_plus_minus_three_std_cut_to_the_scale():
    low, high = reference_band([0.5, 0.6, 0.7])
    std = math.sqrt(2 / 3) * 0.1
    assert (low, high) == pytest.approx((0.6 - 3 * std, 0.6 + 3 * std))
    assert reference_band([0.9, 1.0, None]) == pytest.approx((0.8, 1.0))  # 0.95 + 0.15 is cut to 1


def test_realised_is_none_with_one_class():
    assert realised_metric("f1", np.zeros(5, bool), np.array([1, 0, 1, 0, 1], bool)) is None


def test_size_chunks_keep_the_smaller_last_chunk():
    assert [(c.start, c.end, c.rows) for c in size_chunks(10, 4)] == [(0, 3, 4), (4, 7, 4), (8, 9, 2)]
    with pytest.raises(DataError):
        size_chunks(10, 0)


def test_period_chunks_group_by_month_in_time_order():
    dates = pd.Series(["2024-02-03", "2024-01-05", "2024-02-10", "2024-01-31"], name="when")
    chunks, positions = period_chunks(dates)
    assert [c.period for c in chunks] == ["2024-01", "2024-02"]
    assert [list(p) for p in positions] == [[1, 3], [0, 2]]
    with pytest.raises(DataError, match="when"):
        period_chunks(pd.Series(["2024-01-01", "soon"], name="when"))
    with pytest.raises(DataError, match="not a period"):
        period_chunks(dates, "fortnight")


def _calibrated(rows, seed, power):
    rng = np.random.default_rng(seed)
    p = rng.random(rows) ** power
    return rng.random(rows) < p, p


def test_sampling_interval_holds_on_calibrated_probabilities():
    """The page's promise: on calibrated scores the realised F1 lies inside the interval on >= 85% of chunks."""
    ref_truth, ref_p = _calibrated(4000, 1, 4)
    truth, p = _calibrated(20000, 2, 3)
    chunks = size_chunks(len(p), 1000)
    result = estimate_performance(ref_truth, ref_p, ref_p >= 0.35, p, p >= 0.35, chunks, truth=truth)
    inside = [c.ci_low <= c.realised <= c.ci_high for c in result.chunks]
    assert np.mean(inside) >= 0.85
    assert all(0 <= c.ci_low <= c.estimate <= c.ci_high <= 1 for c in result.chunks)


def test_estimate_follows_realised_f1_without_shift():
    ref_truth, ref_p = _calibrated(4000, 3, 4)
    truth, p = _calibrated(8000, 4, 4)
    chunks = size_chunks(len(p), 4000)
    result = estimate_performance(ref_truth, ref_p, ref_p >= 0.35, p, p >= 0.35, chunks, truth=truth)
    assert all(abs(c.estimate - c.realised) < 0.03 for c in result.chunks)
    banded = estimate_performance(ref_truth, ref_p, ref_p >= 0.35, p, p >= 0.35, size_chunks(len(p), 1000))
    assert banded.reference_chunks == 4 and not any(c.outside_band for c in banded.chunks)
