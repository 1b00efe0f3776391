"""The corrected intervals that the race and the comparison print, checked from outside core: through
`core.race.race_prepared` and `core.pipeline.run_experiment`, against intervals this file computes from first
principles with scipy.stats.t (never with core.evaluation), and against fully hand-computed numbers.

- The comparison (Nadeau & Bengio 2003): J repeated train/test splits, variance of the mean s^2 x (1/J +
  n_test/n_train), t with J - 1 degrees of freedom; n_test/n_train read from the split's own row counts.
- The race (Bouckaert & Frank 2004): r repeats of k-fold, variance of the mean s^2 x (1/(k r) + n_test/n_train),
  t with k r - 1 degrees of freedom; n_test/n_train read from the folds' own row counts.

The plain t-interval (the ratio set to 0) is narrower by sqrt(1 + J n_test/n_train): every test here tells the two
apart, so a correction that is dropped or changed fails them. The last two tests check core/intervals.py's own
functions on hand-computed cases."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats
from sklearn.model_selection import RepeatedStratifiedKFold

import core.pipeline
import core.race
from core.config import RunConfig
from core.evaluation import METRICS, NO_SYNTHETIC_ARMS, pair_arms
from core.intervals import detectable_difference, paired_difference, summarise
from core.pipeline import prepare, run_experiment
from core.race import race_prepared
from core.race_results import FoldScore

LEVEL = 0.95


def corrected(values, test_train_ratio: float, bounds=None) -> tuple[float, float, float]:
    """(mean, low, high) of the corrected resampled t-interval, written out here: mean +- t(0.975, n - 1) x
    sqrt(s^2 x (1/n + test_train_ratio)), s^2 the sample variance (ddof 1); cut to bounds when given."""
    values = np.asarray(values, dtype=float)
    n = values.size
    variance = values.var(ddof=1)
    half = stats.t.ppf(0.5 + LEVEL / 2, n - 1) * np.sqrt(variance * (1 / n + test_train_ratio))
    low, high = values.mean() - half, values.mean() + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return values.mean(), low, high


def half_width(values, test_train_ratio: float) -> float:
    mean, low, high = corrected(values, test_train_ratio)
    return (high - low) / 2


def detectable(values, test_train_ratio: float, power: float = 0.80) -> float:
    """The smallest difference detected at 80% power by the two-sided test at 95%: (t(0.975, n - 1) + t(0.80,
    n - 1)) x sqrt(s^2 x (1/n + test_train_ratio)), written out here."""
    values = np.asarray(values, dtype=float)
    n = values.size
    scale = np.sqrt(values.var(ddof=1) * (1 / n + test_train_ratio))
    return (stats.t.ppf(0.5 + LEVEL / 2, n - 1) + stats.t.ppf(power, n - 1)) * scale


def scale_of(metric: str, difference: bool = False) -> tuple[float, float]:
    """The metric's scale, written out here: [0, 1] (MCC [-1, 1]); a difference of two: [-1, 1] (MCC [-2, 2])."""
    low, high = (-1.0, 1.0) if metric == "mcc" else (0.0, 1.0)
    return (low - high, high - low) if difference else (low, high)


# ---------------------------------------------------------------- the race: Bouckaert & Frank's repeated k-fold

FOLDS, REPEATS = 3, 2


@pytest.fixture(scope="module")
def small_prepared(small_credit):
    """German credit's 300-row sample split 70/30: 210 training rows (147 good, 63 bad), each a multiple of 3, so
    every fold of 3-fold cross-validation holds exactly a third of each class."""
    return prepare(small_credit, test_size=0.3, seed=42)


def fold_ratio(prepared) -> float:
    """n_test / n_train of the race's folds, from the folds themselves (the same splitter, seed and labels)."""
    train = prepared.split.train
    labels = train[prepared.dataset.target].astype(str)
    splitter = RepeatedStratifiedKFold(n_splits=FOLDS, n_repeats=REPEATS, random_state=prepared.split.seed)
    ratios = {len(test) / len(fit) for fit, test in splitter.split(np.zeros(len(train)), labels)}
    assert len(ratios) == 1  # every fold the same size: one ratio
    return ratios.pop()


def test_the_race_reports_bouckaert_franks_corrected_intervals(small_prepared):
    ratio = fold_ratio(small_prepared)
    assert ratio == pytest.approx(0.5)  # 70 validation rows against 140 fitting rows
    result = race_prepared(small_prepared, "logreg", FOLDS, candidates=["as_is", "class_weighted_default",
                                                                       "threshold_tuned"],
                           n_jobs=1, repeats=REPEATS)
    assert result.folds == FOLDS and result.repeats == REPEATS
    ran = [c for c in result.candidates if c.ran]
    assert len(ran) == 3
    unclipped = 0
    for candidate in ran:
        for summary in (candidate.minority_f1, candidate.pr_auc):
            assert len(summary.values) == FOLDS * REPEATS  # one figure per fold of every repeat
            mean, low, high = corrected(summary.values, ratio, (0, 1))
            assert (summary.mean, summary.ci_low, summary.ci_high) == pytest.approx((mean, low, high), abs=1e-12)
            if 0 < low and high < 1:
                unclipped += 1
                # the plain t-interval is half as wide here (sqrt(1 + 6 x 0.5) = 2): far outside the tolerance
                assert summary.ci_high - summary.ci_low == pytest.approx(
                    2 * half_width(summary.values, 0) * np.sqrt(1 + FOLDS * REPEATS * ratio), rel=1e-9)
    assert unclipped >= 4  # most intervals are inside [0, 1], so the cut does not hide the correction
    # the recommendation against the runner-up, and every candidate against the best: paired per fold
    pick = next(c for c in ran if c.name == result.recommended)
    runner = next(c for c in ran if c.name == result.runner_up)
    difference = np.subtract(pick.minority_f1.values, runner.minority_f1.values)
    mean, low, high = corrected(difference, ratio, (-1, 1))
    versus = result.vs_runner_up
    assert (versus.mean, versus.ci_low, versus.ci_high) == pytest.approx((mean, low, high), abs=1e-12)
    assert result.separated == (low > 0 or high < 0)
    assert result.detectable_difference == pytest.approx(detectable(difference, ratio), abs=1e-12)
    best = next(c for c in ran if c.name == result.best)
    for candidate in ran:
        if candidate.name != best.name:
            mean, low, high = corrected(np.subtract(candidate.minority_f1.values, best.minority_f1.values), ratio,
                                        (-1, 1))
            shown = candidate.vs_best
            assert (shown.mean, shown.ci_low, shown.ci_high) == pytest.approx((mean, low, high), abs=1e-12)


# Written by hand: 3 folds x 2 repeats, two strategies scored at 0.5 (minority F1 per fold).
AS_IS = [0.50, 0.60, 0.55, 0.45, 0.65, 0.55]
CLASS_WEIGHTED = [0.60, 0.70, 0.62, 0.58, 0.66, 0.64]


def test_a_race_on_hand_written_fold_scores_gives_the_hand_computed_intervals(small_prepared, monkeypatch):
    """as is: mean 0.55, s^2 = 0.025 / 5 = 0.005; variance of the mean 0.005 x (1/6 + 1/2) = 0.003333, sqrt
    0.057735; t(0.975, 5) = 2.570582; half-width 0.148413. Class weights: mean 0.633333, s^2 = 0.0093333 / 5 =
    0.0018667, x 2/3 = 0.0012444, sqrt 0.035277, half-width 0.090682. Class weights minus as is, per fold: 0.10,
    0.10, 0.07, 0.13, 0.01, 0.09; mean 0.083333, s^2 = 0.0083333 / 5 = 0.0016667, x 2/3 = 0.0011111, sqrt 0.033333,
    half-width 0.085686: [-0.002353, 0.169019], not separated. The plain t-test (ratio 0) would give half-width
    0.042843, [0.040490, 0.126176]: separated. The smallest difference detectable at 80% power: (t(0.975, 5) +
    t(0.80, 5)) x 0.033333 = (2.570582 + 0.919544) x 0.033333 = 0.116338."""
    scores = {"as_is": AS_IS, "class_weighted_default": CLASS_WEIGHTED}

    def written(*args) -> list[FoldScore]:  # _score_group's stand-in: the hand figure of each (candidate, fold)
        names, fold = args[-1]
        return [FoldScore(name, fold, scores[name][fold], scores[name][fold], None, 0.0) for name in names]

    monkeypatch.setattr(core.race, "_score_group", written)
    # the full race (adaptive=False): the adaptive one stops "as is" after repeat 1 (its difference to class
    # weights, 0.10, 0.10, 0.07, is [+0.022, +0.158] there), and the hand-computed figures are over both repeats
    result = race_prepared(small_prepared, "logreg", FOLDS, candidates=list(scores), n_jobs=1, repeats=REPEATS,
                           adaptive=False)
    shown = {c.name: c.minority_f1 for c in result.candidates}
    assert shown["as_is"].values == AS_IS
    assert (shown["as_is"].mean, shown["as_is"].ci_low, shown["as_is"].ci_high) == pytest.approx(
        (0.55, 0.401587, 0.698413), abs=1e-6)
    weighted = shown["class_weighted_default"]
    assert (weighted.mean, weighted.ci_low, weighted.ci_high) == pytest.approx((0.633333, 0.542652, 0.724015),
                                                                               abs=1e-6)
    assert result.recommended == "class_weighted_default" and result.runner_up == "as_is"
    versus = result.vs_runner_up
    assert (versus.mean, versus.ci_low, versus.ci_high) == pytest.approx((0.083333, -0.002353, 0.169019), abs=1e-6)
    assert not result.separated  # the plain t-test would have separated them
    assert result.detectable_difference == pytest.approx(0.116338, abs=1e-6)
    behind = next(c for c in result.candidates if c.name == "as_is").vs_best
    assert (behind.mean, behind.ci_low, behind.ci_high) == pytest.approx((-0.083333, -0.169019, 0.002353), abs=1e-6)


# ------------------------------------------------------- the comparison: Nadeau & Bengio's repeated splits

REPEATED_SPLITS = 3


def split_ratio(result) -> float:
    """n_test / n_train of the comparison's splits, from the first split's own row counts."""
    split = result.prepared.split
    return len(split.test) / len(split.train)


@pytest.fixture(scope="module")
def compared(small_credit):
    return run_experiment(small_credit, RunConfig(target="credit_risk", method="threshold_tuned",
                                                  repeats=REPEATED_SPLITS, validation=False), n_jobs=1)


def test_the_comparison_reports_nadeau_bengios_corrected_intervals(compared):
    ratio = split_ratio(compared)
    assert ratio == pytest.approx(90 / 210)  # 90 test rows against 210 training rows
    comparison = compared.comparison
    assert comparison.repeats == REPEATED_SPLITS and set(comparison.arms) == set(NO_SYNTHETIC_ARMS)
    # the per-repeat figures are the runs' own: the interval is computed from what the splits measured
    for arm, metrics in comparison.arms.items():
        for metric in METRICS:
            summary = metrics[metric]
            assert summary.values == [run[arm].metrics[metric] for run in compared.runs]
            if np.ptp(summary.values) == 0:
                continue
            assert (summary.mean, summary.ci_low, summary.ci_high) == pytest.approx(
                corrected(summary.values, ratio, scale_of(metric)), abs=1e-12)
    widened = 0
    for name, metrics in comparison.differences.items():
        arm, reference = pair_arms(name)
        for metric in METRICS:
            difference = np.subtract(comparison.arms[arm][metric].values, comparison.arms[reference][metric].values)
            shown = metrics[metric]
            if np.ptp(difference) == 0:
                continue
            bounds = scale_of(metric, difference=True)
            mean, low, high = corrected(difference, ratio)
            assert (shown.mean, shown.ci_low, shown.ci_high) == pytest.approx(
                corrected(difference, ratio, bounds), abs=1e-12)
            scale = np.sqrt(difference.var(ddof=1) * (1 / difference.size + ratio))
            assert shown.p_value == pytest.approx(2 * stats.t.sf(abs(difference.mean()) / scale, difference.size - 1),
                                                  abs=1e-12)
            if low < bounds[0] or high > bounds[1]:
                continue  # cut to the scale: the width is checked on the intervals inside it
            # sqrt(1 + 3 x 90/210) = 1.51 times the plain t-interval
            assert shown.ci_high - shown.ci_low == pytest.approx(
                2 * half_width(difference, 0) * np.sqrt(1 + REPEATED_SPLITS * ratio), rel=1e-9)
            widened += 1
    assert widened >= 10


# Written by hand: minority F1 of each arm on each of 3 splits.
WRITTEN = {"threshold_tuned": [0.50, 0.56, 0.62], "baseline": [0.40, 0.50, 0.54],
           "class_weighted_tuned": [0.52, 0.50, 0.60], "class_weighted": [0.45, 0.47, 0.49]}


def test_a_comparison_on_hand_written_split_scores_gives_the_hand_computed_intervals(small_credit, monkeypatch):
    """Test share 0.3 of 300 rows: n_test/n_train = 90/210 = 3/7; 1/J + 3/7 = 1/3 + 3/7 = 16/21; t(0.975, 2) =
    4.302653. Tuned threshold: mean 0.56, s^2 = 0.0072 / 2 = 0.0036, x 16/21 = 0.0027429, sqrt 0.052372, half-width
    0.225340: [0.334660, 0.785340]. Minus the baseline: 0.10, 0.06, 0.08; mean 0.08, s^2 = 0.0004, x 16/21 =
    0.00030476, sqrt 0.017457, half-width 0.075113: [0.004887, 0.155113], p = 2 x t.sf(0.08 / 0.017457, 2) =
    0.044467 (plain: [0.030317, 0.129683]). Minus class weights, tuned: -0.02, 0.06, 0.02; mean 0.02, s^2 = 0.0016,
    x 16/21 = 0.0012190, sqrt 0.034915, half-width 0.150227: [-0.130227, 0.170227], p = 0.624581."""
    real_repeat = core.pipeline._one_repeat

    def written(dataset, config, profile, repeat, should_stop=None):
        measured = real_repeat(dataset, config, profile, repeat, should_stop=should_stop)
        runs = {arm: replace(run, metrics={**run.metrics, "minority_f1": WRITTEN[arm][repeat]})
                for arm, run in measured.runs.items()}
        return replace(measured, runs=runs)

    monkeypatch.setattr(core.pipeline, "_one_repeat", written)
    result = run_experiment(small_credit, RunConfig(target="credit_risk", method="threshold_tuned",
                                                    repeats=REPEATED_SPLITS, validation=False), n_jobs=1)
    comparison = result.comparison
    tuned = comparison.arms["threshold_tuned"]["minority_f1"]
    assert tuned.values == WRITTEN["threshold_tuned"]
    assert (tuned.mean, tuned.ci_low, tuned.ci_high) == pytest.approx((0.56, 0.334660, 0.785340), abs=1e-6)
    baseline = comparison.differences["threshold_tuned_vs_baseline"]["minority_f1"]
    assert (baseline.mean, baseline.ci_low, baseline.ci_high, baseline.p_value) == pytest.approx(
        (0.08, 0.004887, 0.155113, 0.044467), abs=1e-6)
    weighted = comparison.differences["threshold_tuned_vs_class_weighted_tuned"]["minority_f1"]
    assert (weighted.mean, weighted.ci_low, weighted.ci_high, weighted.p_value) == pytest.approx(
        (0.02, -0.130227, 0.170227, 0.624581), abs=1e-6)


# core/intervals.py on hand-computed cases
def test_corrected_interval_against_a_hand_computed_case():
    # differences 0.1, 0.1, 0.1, 0.1, 0.05: mean 0.09, s^2 = (4 x 0.01^2 + 0.04^2) / 4 = 0.0005.
    # Test share 0.3 -> n_test/n_train = 3/7; corrected variance 0.0005 x (1/5 + 3/7) = 0.000314286,
    # sd 0.0177281, t(0.975, 4) = 2.7764451 -> half-width 0.0492207; t = 0.09 / 0.0177281 = 5.07668.
    d = paired_difference([0.6, 0.7, 0.8, 0.9, 0.75], [0.5, 0.6, 0.7, 0.8, 0.7], test_train_ratio=3 / 7)
    assert d.mean == pytest.approx(0.09)
    assert d.ci_low == pytest.approx(0.09 - 0.0492207, abs=1e-6) and d.ci_high == pytest.approx(0.0492207 + 0.09,
                                                                                                 abs=1e-6)
    assert d.p_value == pytest.approx(2 * (1 - 0.996449), abs=2e-5)  # t cdf(5.07668, 4) = 0.996449
    plain = paired_difference([0.6, 0.7, 0.8, 0.9, 0.75], [0.5, 0.6, 0.7, 0.8, 0.7])
    assert plain.ci_high - plain.ci_low == pytest.approx(2 * 2.7764451 * 0.01, abs=1e-6)  # s / sqrt(5) = 0.01
    # the plain interval is 1.77 times too narrow at test share 0.3 and 5 repeats
    assert (d.ci_high - d.ci_low) / (plain.ci_high - plain.ci_low) == pytest.approx(np.sqrt((0.2 + 3 / 7) / 0.2))
    assert "Nadeau & Bengio" in d.test
    s = summarise([0.5, 0.6, 0.7])
    assert s.mean == pytest.approx(0.6) and s.ci_low == pytest.approx(0.6 - 4.302653 * 0.1 / np.sqrt(3), rel=1e-5)
    one = summarise([0.42], 3 / 7)
    assert one.ci_low == one.mean == one.ci_high == 0.42
    assert paired_difference([0.5], [0.4]).p_value is None
    assert paired_difference([0.5, 0.6], [0.5, 0.6]).p_value == 1.0
    # a t-test reaches significance with 5 repeats, which a Wilcoxon test never can (its floor is 0.0625)
    assert paired_difference([0.8, 0.81, 0.79, 0.8, 0.82], [0.5, 0.5, 0.5, 0.5, 0.5], 3 / 7).p_value < 0.001


def test_detectable_difference_is_at_80_percent_power_by_hand():
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]  # 6 values, ratio 1/2 (3 folds)
    # s^2 = 0.035; se = sqrt(0.035 x (1/6 + 1/2)) = 0.1527525; t(0.975, 5) = 2.5705818; t(0.80, 5) = 0.9195438
    # (2.5705818 + 0.9195438) x 0.1527525 = 0.5331255
    assert detectable_difference(values, 0.5) == pytest.approx(0.5331255, abs=1e-6)


def test_compact_interval_is_the_comparison_tables_cell():
    """The Comparison page's 'mean ± half-width' cell comes from core: ± for a symmetric interval, the bounds when
    it was cut to the scale (hand-computed)."""
    from core.intervals import Summary

    assert Summary(0.5, 0.449, 0.551, []).compact_interval() == " ± 0.051"
    assert Summary(0.98, 0.93, 1.0, [], clipped=True).compact_interval() == " [0.930, 1.000]"
    assert summarise([0.5, 0.6, 0.7]).compact_interval() == f" ± {4.302653 * 0.1 / np.sqrt(3):.3f}"  # t(0.975, 2)
