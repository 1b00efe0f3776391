"""The batch's minority share (core.prevalence): Saerens et al.'s EM and the confusion-matrix method by hand, the
interval's coverage on prior-shift batches, and the threshold advice."""
import numpy as np
import pytest

from core.prevalence import (
    adjusted_posteriors,
    confusion_prior,
    em_prior,
    estimate_prevalence,
    f1_optimal_threshold,
)


def test_adjusted_posterior_by_hand():
    # p 0.5 under 0.2, new share 0.4: (2 x 0.5) / (2 x 0.5 + 0.75 x 0.5)
    assert adjusted_posteriors(np.array([0.5]), 0.2, 0.4)[0] == pytest.approx(1 / 1.375)
    assert adjusted_posteriors(np.array([0.3]), 0.2, 0.2)[0] == pytest.approx(0.3)


def test_confusion_prior_by_hand():
    decision = np.array([1, 1, 1] + [0] * 7, bool)  # 30% flagged
    assert confusion_prior(decision, tpr=0.8, fpr=0.1) == pytest.approx(0.2 / 0.7)
    assert confusion_prior(np.zeros(10, bool), tpr=0.8, fpr=0.1) == 0.0  # cut at 0


def _posteriors(rows, share, seed, made_under=0.1):
    """Rows of a two-Gaussian table with minority share `share`; posteriors exact under `made_under`."""
    rng = np.random.default_rng(seed)
    truth = rng.random(rows) < share
    x = rng.normal(np.where(truth, 1.5, 0.0), 1.0)
    ratio = np.exp(1.5 * x - 1.125) * made_under / (1 - made_under)
    return truth, ratio / (1 + ratio)


def test_em_recovers_the_share_it_was_not_calibrated_for():
    _, p = _posteriors(40000, 0.3, 1)
    assert em_prior(p, 0.1) == pytest.approx(0.3, abs=0.01)


def test_em_interval_holds_on_nine_of_ten_prior_shift_batches():
    """The page's promise: the estimated share's interval holds (bench: >= 9 of 10 prior-shift batches)."""
    ref_truth, ref_p = _posteriors(3000, 0.1, 0)
    hits = 0
    for seed, share in enumerate([0.05, 0.2] * 5, start=10):
        truth, p = _posteriors(2000, share, seed)
        estimate = estimate_prevalence(ref_truth, ref_p, ref_p >= 0.3, p, p >= 0.3, 0.3, seed=seed, resamples=100)
        hits += estimate.ci_low <= truth.mean() <= estimate.ci_high
    assert hits >= 9


def test_f1_optimal_threshold_by_hand():
    truth = np.array([1, 1, 0, 1, 0, 0], bool)
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.3, 0.1])
    # at 0.6: TP 3, FP 1 -> F1 6/7; at 0.8: TP 2, FP 0 -> F1 0.8
    assert f1_optimal_threshold(truth, p, 0.5, 0.5) == 0.6
    # majority rows weighted 4x (share 0.2 from 0.5... weights 0.4 and 1.6): at 0.8, F1 = 2*0.8/(0.8+0+1.2) = 0.8;
    # at 0.6: TP 1.2, FP 1.6 -> 2.4 / (2.8 + 1.2) = 0.6
    assert f1_optimal_threshold(truth, p, 0.5, 0.2) == 0.8


def test_more_minority_rows_move_the_advice_down_and_nothing_is_applied():
    ref_truth, ref_p = _posteriors(4000, 0.1, 0)
    _, p = _posteriors(4000, 0.3, 5)
    estimate = estimate_prevalence(ref_truth, ref_p, ref_p >= 0.3, p, p >= 0.3, 0.3, resamples=50)
    assert estimate.moved and estimate.suggested_threshold < 0.3
    assert estimate.deployed_threshold == 0.3 and "advice" in estimate.sentence


def test_same_seed_same_interval():
    ref_truth, ref_p = _posteriors(2000, 0.1, 0)
    _, p = _posteriors(2000, 0.2, 3)
    one = estimate_prevalence(ref_truth, ref_p, ref_p >= 0.3, p, p >= 0.3, 0.3, seed=7, resamples=50)
    two = estimate_prevalence(ref_truth, ref_p, ref_p >= 0.3, p, p >= 0.3, 0.3, seed=7, resamples=50)
    assert one == two


def _covariate_batch(rows, seed, made_under=0.1):
    """Rows of the same two-Gaussian table kept only where x > 0.5: P(y | x) unchanged, the share higher."""
    truth, p = _posteriors(rows * 4, made_under, seed, made_under)
    rng = np.random.default_rng(seed)
    x = np.log(p / (1 - p) * (1 - made_under) / made_under)  # 1.5 x - 1.125, monotone in x
    keep = np.flatnonzero(x > 0)[:rows]
    rng.shuffle(keep)
    return truth[keep], p[keep]


def test_under_covariate_shift_the_mean_probability_holds_and_is_printed():
    """The page's promise: the mean calibrated probability, printed beside EM, holds under covariate shift."""
    ref_truth, ref_p = _posteriors(3000, 0.1, 0)
    hits = 0
    for seed in range(20, 30):
        truth, p = _covariate_batch(1000, seed)
        estimate = estimate_prevalence(ref_truth, ref_p, ref_p >= 0.3, p, p >= 0.3, 0.3, seed=seed, resamples=100)
        hits += estimate.mean_probability_low <= truth.mean() <= estimate.mean_probability_high
    assert hits >= 9
    assert f"mean calibrated probability, {estimate.mean_probability:.1%}" in estimate.sentence
    assert "cannot be told apart" in estimate.sentence
