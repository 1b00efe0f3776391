"""Validation metrics on hand-checkable cases, the verdict's thresholds, and a real run on a sample."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from core.generators.amount import Amount
from core.pipeline import synthesize
from core.validation import column_shapes as shapes
from core.validation import fidelity as fid
from core.validation import pair_trends as pairs
from core.validation.coverage import prdc
from core.validation.privacy import exact_copy_mask
from core.validation.validate import drop_copies, validate_synthetic
from core.validation.verdict import (
    APPROVED,
    INCOMPLETE,
    REFINE,
    REJECTED,
    Decision,
    Outcome,
    Thresholds,
    judge,
    thresholds_from_dict,
)


def test_identical_data_scores_perfectly(prepared):
    prep = prepared["german_credit"]
    ds = prep.dataset
    minority = prep.train.loc[prep.train["credit_risk"] == "bad"]
    result = validate_synthetic(prep.train, prep.test, minority.reset_index(drop=True), "credit_risk", ds.features,
                                ds.column_types, seed=1)
    assert result.fidelity.quality_score == pytest.approx(1.0)
    assert all(f.js_divergence == pytest.approx(0.0, abs=1e-12) for f in result.fidelity.per_feature)
    assert result.privacy.exact_copies == len(minority) and result.privacy.exact_share == 1.0
    assert np.all(result.privacy.dcr == 0) and result.privacy.nndr_median == 0
    assert result.verdict.decision == REJECTED and "exact_copy_share" in result.verdict.failed_checks
    assert len(drop_copies(minority, result)) == 0


def test_shifted_copy_raises_js_and_ks():
    rng = np.random.default_rng(0)
    real = pd.Series(rng.normal(0, 1, 2000))
    same = shapes.feature_fidelity(real, pd.Series(rng.normal(0, 1, 2000)), True, "x")
    shifted = shapes.feature_fidelity(real, real + 1.0, True, "x")
    assert shifted.js_divergence > 0.1 and same.js_divergence < 0.01
    assert shifted.ks_statistic > 0.35 > same.ks_statistic
    assert shifted.ks_pvalue < 1e-10 and shifted.shape_score == pytest.approx(1 - shifted.ks_statistic)
    assert shifted.wasserstein == pytest.approx(1.0 / (real.max() - real.min()), rel=1e-6)


@pytest.mark.parametrize("sizes", [(300, 200), (10_000, 9_000), (12_000, 10_501)])
def test_number_figures_equal_scipy_on_both_sides_of_the_exact_p_value_limit(sizes):
    # one merge of the sorted sides gives the KS statistics and the Wasserstein distance; the p-value is scipy's
    # exact one up to 10,000 values a side and Smirnov's asymptotic one above: each equal to scipy's own call
    rng = np.random.default_rng(sizes[0])
    real = pd.Series(np.round(rng.normal(0, 1, sizes[0]), 1))  # many ties between and within the sides
    synthetic = pd.Series(np.round(rng.normal(0.05, 1.1, sizes[1]), 1))
    figures = shapes.feature_fidelity(real, synthetic, True, "x")
    test = stats.ks_2samp(real, synthetic)
    assert figures.ks_statistic == test.statistic and figures.ks_pvalue == test.pvalue and 0 < test.pvalue < 0.5
    assert figures.shape_score == shapes.ks_complement(real, synthetic)
    spread = real.max() - real.min()
    assert figures.wasserstein == pytest.approx(stats.wasserstein_distance(real, synthetic) / spread, abs=1e-15)
    edges = np.histogram_bin_edges(np.concatenate([real, synthetic]), bins=shapes.JS_BINS)
    p, q = np.histogram(real, edges)[0], np.histogram(synthetic, edges)[0]
    assert figures.js_divergence == pytest.approx(jensenshannon(p / p.sum(), q / q.sum(), base=2) ** 2, abs=1e-15)
    whole = fid.fidelity(pd.DataFrame({"x": real}), pd.DataFrame({"x": synthetic}), {"x": True})
    assert whole.per_feature[0] == figures


def test_level_figures_count_missing_as_a_level_but_not_in_the_shape():
    # TVComplement leaves missing values out; JS and KL count them as a level; a real level spelled "<missing>"
    # stays a level of its own in the shape; levels are words: 1 and "1" are one level, 1.0 another
    real = pd.Series(["a"] * 5 + ["b"] * 3 + [None] * 2 + ["<missing>"], dtype=object)
    synthetic = pd.Series(["a"] * 2 + ["c"] * 4 + [np.nan] * 4, dtype=object)
    figures = shapes.feature_fidelity(real, synthetic, False, "level")
    # without missing: real a 5, b 3, <missing> 1 (9); synthetic a 2, c 4 (6); c gets a real count of 1e-6
    r = np.array([1, 5, 3, 1e-6]) / (9 + 1e-6)  # <missing>, a, b, c
    s = np.array([0, 2, 0, 4]) / 6
    assert figures.total_variation == pytest.approx(0.5 * np.abs(r - s).sum(), abs=1e-15)
    p, q = np.array([3, 5, 3, 0]) / 11, np.array([4, 2, 0, 4]) / 10  # <missing> (with the two gaps), a, b, c
    assert figures.js_divergence == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=1e-15)
    assert figures.js_divergence == pytest.approx(shapes.js_divergence(real, synthetic, False), abs=1e-15)
    mixed = shapes.feature_fidelity(pd.Series([1, 1.0, "1", 2], dtype=object), pd.Series(["1", "2"], dtype=object),
                                 False, "n")
    assert mixed.total_variation == pytest.approx(0.5 * (abs(0.5 - 0.5) + abs(0.25 - 0.5) + abs(0.25 - 0.0)))


def test_pair_tables_counted_in_batches_give_the_same_figures(monkeypatch):
    # the stacked contingency tables are counted a few million cells at a time (bounded memory for many-level
    # columns): batches of a single table give the same pairs as one batch per level column
    from core.validation import column_pairs
    rng = np.random.default_rng(3)
    real = pd.DataFrame({"x": rng.normal(size=400), "kind": rng.choice(list("abcde"), 400).astype(object),
                         "y": rng.normal(size=400), "code": rng.integers(0, 30, 400).astype(str).astype(object)})
    synthetic = real.sample(frac=1.0, random_state=1).reset_index(drop=True)
    synthetic["x"] = synthetic["x"] + rng.normal(scale=0.5, size=400)
    numeric = {"x": True, "kind": False, "y": True, "code": False}
    whole = fid.quality_score(real, synthetic, numeric).pairs
    monkeypatch.setattr(column_pairs, "CELLS_PER_BATCH", 1)
    assert len(column_pairs._batches(np.arange(3), np.array([5, 5, 5]))) == 3
    pd.testing.assert_frame_equal(fid.quality_score(real, synthetic, numeric).pairs, whole, check_exact=True)


def test_categorical_two_by_two_by_hand():
    # real: a 60%, b 40%; synthetic: a 30%, b 70% -> TVD = 0.5 * (0.3 + 0.3) = 0.3
    real = pd.Series(["a"] * 6 + ["b"] * 4)
    synthetic = pd.Series(["a"] * 3 + ["b"] * 7)
    assert shapes.total_variation(real, synthetic) == pytest.approx(0.3)
    assert shapes.tv_complement(real, synthetic) == pytest.approx(0.7)
    # JS in bits by hand: M = (0.45, 0.55)
    p, q, m = np.array([0.6, 0.4]), np.array([0.3, 0.7]), np.array([0.45, 0.55])
    expected = 0.5 * np.sum(p * np.log2(p / m)) + 0.5 * np.sum(q * np.log2(q / m))
    assert shapes.js_divergence(real, synthetic, numeric=False) == pytest.approx(expected)
    # Cramér's V of the 2x2 table [[30, 10], [10, 30]]: phi = (30*30 - 10*10) / 40 / 40 = 0.5
    x = pd.Series(["u"] * 40 + ["v"] * 40)
    y = pd.Series(["s"] * 30 + ["t"] * 10 + ["s"] * 10 + ["t"] * 30)
    assert pairs.cramers_v(x, y) == pytest.approx(0.5)


def test_pair_trends_follow_sdmetrics_definitions():
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.0, 6.0, 8.0], "c": ["a", "a", "b", "b"]})
    synthetic = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [8.0, 6.0, 4.0, 2.0], "c": ["a", "b", "a", "b"]})
    # correlation +1 vs -1: 1 - |1 - (-1)| / 2 = 0
    assert pairs.correlation_similarity(real, synthetic, "x", "y") == pytest.approx(0.0)
    # contingency of (c, c) pairs: real {aa: .5, bb: .5}; synthetic {aa .25, bb .25, ab .25, ba .25}
    joint_real = pd.DataFrame({"c": real["c"], "d": real["c"]})
    joint_syn = pd.DataFrame({"c": synthetic["c"], "d": ["a", "a", "b", "b"]})
    assert pairs.contingency_similarity(joint_real, joint_syn, "c", "d") == pytest.approx(0.5)
    result = fid.fidelity(real, synthetic, {"x": True, "y": True, "c": False})
    assert result.column_shapes == pytest.approx((1.0 + 1.0 + 1.0) / 3)
    assert result.quality_score == pytest.approx((result.column_shapes + result.column_pair_trends) / 2)


def test_prdc_on_tiny_point_sets_by_hand():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    # k=1 radii of the real points: 1, 1, 1, 1
    synthetic = np.array([[0.5], [10.0]])
    cov = prdc(real, synthetic, k=1)
    assert cov.precision == pytest.approx(0.5)  # 0.5 is inside balls of 0 and 1; 10 is inside none
    assert cov.density == pytest.approx(2 / 2)  # (1 / (k m)) * (2 balls + 0 balls)
    assert cov.coverage == pytest.approx(0.5)  # reals 0 and 1 have a synthetic point within their radius
    # synthetic radii (k=1): both 9.5, so every real point is within some synthetic ball
    assert cov.recall == pytest.approx(1.0)
    assert cov.novelty == pytest.approx(0.5)  # 10.0 is farther than the typical real gap of 1.0


def test_exact_copies_are_matched_on_all_features():
    train = pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]})
    synthetic = pd.DataFrame({"x": [1.0, 2.0, 1.0], "c": ["a", "a", "b"]})
    assert exact_copy_mask(train, synthetic).tolist() == [True, False, False]


def test_verdict_flips_at_each_threshold():
    good = {"quality_score": 0.9, "detection_auc": 0.6, "exact_copy_share": 0.0, "near_copy_share": 0.05,
            "dcr_share_vs_holdout": 0.52, "precision": 0.9, "class_representation": 0.9}
    assert judge(good).decision == APPROVED and judge(good).failed_checks == []
    assert judge({**good, "quality_score": 0.79}).decision == REFINE
    assert judge({**good, "quality_score": 0.59}).decision == REJECTED
    assert judge({**good, "detection_auc": 0.81}).failed_checks == ["detection_auc"]
    strict = Thresholds(quality_score=(0.95, 0.6))
    verdict = judge(good, strict)
    assert verdict.decision == REFINE and "quality score 0.9 is below 0.95" in verdict.checks[0].message


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan])
def test_unmeasured_checks_never_pass(missing):
    good = {"quality_score": 0.9, "detection_auc": 0.6, "exact_copy_share": 0.0, "near_copy_share": 0.05,
            "dcr_share_vs_holdout": 0.52, "precision": 0.9, "class_representation": 0.9}
    verdict = judge({**good, "detection_auc": missing})
    auc = next(c for c in verdict.checks if c.name == "detection_auc")
    assert auc.outcome is Outcome.NOT_MEASURED and auc.value is None and auc.outcome.text == "not measured"
    assert verdict.decision is INCOMPLETE and verdict.decision is not APPROVED
    assert verdict.failed_checks == [] and verdict.unmeasured_checks == ["detection_auc"]
    assert verdict.text.startswith("Verdict: Not fully measured.") and "Not measured (not counted as passed): " \
        "detection AUC." in verdict.text
    # a failed check still decides: unmeasured ones never soften a refine or a reject
    assert judge({**good, "detection_auc": missing, "quality_score": 0.7}).decision is REFINE
    assert judge({}).decision is INCOMPLETE and len(judge({}).unmeasured_checks) == 7
    assert Decision("requires_refinement") is REFINE and REJECTED.text == "Rejected"


def test_thresholds_round_trip_through_json_form():
    strict = Thresholds(quality_score=(0.9, 0.7), detection_auc=(0.7, 0.9))
    assert thresholds_from_dict(strict.to_dict()) == strict
    assert thresholds_from_dict(None) == Thresholds()


def test_validation_of_smote_on_abalone(prepared):
    prep = prepared["abalone19"]
    ds = prep.dataset
    synthetic = synthesize(prep, "smotenc", Amount("count", 300), seed=4)
    result = validate_synthetic(prep.train, prep.test, synthetic.rows, ds.target, ds.features, ds.column_types, seed=4)
    assert result.n_real_minority == 22 and result.n_synthetic == 300
    assert result.coverage.precision > 0.8  # interpolation stays inside the minority's region
    assert result.privacy.exact_share < 0.05
    assert 0.0 <= result.privacy.dcr_share_vs_holdout <= 1.0
    assert {"x", "y", "group"} <= set(result.pca.points.columns)
    assert set(result.pca.points["group"]) == {"real majority", "real minority", "synthetic"}
    block = result.to_dict()
    assert block["decision"] in (APPROVED, REFINE, REJECTED)
    assert block["coverage"]["precision"] == result.coverage.precision
    assert len(block["per_feature"]) == 8
