"""Parity of the validation figures with their reference implementations (sdmetrics 0.32.0, prdc 0.2) and
hand-computed cases for the privacy figures (MOSTLY AI's DCR share and NNDR, synthcity's identifiability)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from core.data import LEVEL_KINDS
from core.encoding import model_frame
from core.generators.amount import Amount
from core.pipeline import synthesize
from core.validation.coverage import prdc
from core.validation.fidelity import fidelity, quality_score
from core.validation.privacy import dcr_share, identifiability, near_copy_threshold, privacy_checks

TOL = 1e-12


def _reference(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: dict[str, bool]) -> tuple[float, float, float]:
    """(overall, Column Shapes, Column Pair Trends) from sdmetrics' QualityReport on the same frames."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # sdmetrics 0.32 announces a new home for the report
        from sdmetrics.reports.single_table import QualityReport
    metadata = {"columns": {c: {"sdtype": "numerical" if n else "categorical"} for c, n in numeric.items()}}
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real, synthetic, metadata, verbose=False)
    properties = report.get_properties().set_index("Property")["Score"]
    return report.get_score(), properties["Column Shapes"], properties["Column Pair Trends"]


def _assert_parity(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: dict[str, bool]):
    ours = quality_score(real, synthetic, numeric)
    overall, shapes, trends = _reference(real, synthetic, numeric)
    assert ours.column_shapes == pytest.approx(shapes, abs=TOL)
    if np.isnan(trends):
        assert np.isnan(ours.column_pair_trends)
    else:
        assert ours.column_pair_trends == pytest.approx(trends, abs=TOL)
    assert ours.quality_score == pytest.approx(overall, abs=TOL)
    return ours


@pytest.mark.parametrize("name", ["german_credit", "hypothyroid", "abalone19"])
def test_quality_score_matches_sdmetrics_on_the_samples(prepared, name):
    prep = prepared[name]
    ds = prep.dataset
    synthetic = synthesize(prep, "smote", Amount("ratio", 1.0), seed=3).rows
    minority = prep.train.loc[prep.train[ds.target].astype(str).isin(set(synthetic[ds.target].astype(str)))]
    numeric = {c: ds.column_types[c] not in LEVEL_KINDS for c in ds.features}
    ours = _assert_parity(model_frame(minority, ds.features, ds.column_types),
                          model_frame(synthetic, ds.features, ds.column_types), numeric)
    assert ours.pairs["strong"].sum() >= 1  # the samples have strongly associated pairs


def _mixed_table(n: int, seed: int, classes: int = 3, gaps: float = 0.0, constant: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n)
    frame = pd.DataFrame({
        "a": base, "b": 2 * base + rng.normal(scale=0.5, size=n), "c": rng.normal(size=n),
        "level": np.where(base > 0.3, "high", np.where(base < -0.5, "low", "mid")).astype(object),
        "colour": rng.choice(["red", "green", "blue"], size=n).astype(object),
        "label": rng.integers(0, classes, size=n).astype(str).astype(object)})
    if gaps:
        for col in ("a", "c", "level", "colour"):
            frame.loc[rng.random(n) < gaps, col] = np.nan
    if constant:
        frame["flat"] = 7.0
        frame["flat_level"] = "same"
    return frame


def _numeric_of(frame: pd.DataFrame) -> dict[str, bool]:
    return {c: frame[c].dtype.kind == "f" for c in frame.columns}


def test_quality_score_matches_sdmetrics_on_a_multiclass_table():
    real, synthetic = _mixed_table(600, 1, classes=4), _mixed_table(500, 2, classes=4)
    synthetic["b"] = synthetic["b"] * 0.3 + synthetic["c"]  # weaken one strong pair
    ours = _assert_parity(real, synthetic, _numeric_of(real))
    assert ours.column_pair_trends != pytest.approx(ours.column_pair_trends_all_pairs)


def test_quality_score_matches_sdmetrics_with_gaps_and_a_new_level():
    real, synthetic = _mixed_table(500, 3, gaps=0.1), _mixed_table(400, 4, gaps=0.2)
    synthetic.loc[:9, "colour"] = "purple"  # a level the real rows never have
    _assert_parity(real, synthetic, _numeric_of(real))


def test_constant_columns_pairs_are_left_out_not_scored_zero():
    real, synthetic = _mixed_table(400, 5, constant=True), _mixed_table(400, 6, constant=True)
    ours = _assert_parity(real, synthetic, _numeric_of(real))
    with_flat = ours.pairs[(ours.pairs["column_1"].isin(["flat", "flat_level"]))
                           | (ours.pairs["column_2"].isin(["flat", "flat_level"]))]
    assert len(with_flat) == 13 and with_flat["score"].isna().all() and not with_flat["strong"].any()
    without = quality_score(real.drop(columns=["flat", "flat_level"]), synthetic.drop(columns=["flat", "flat_level"]),
                            _numeric_of(real.drop(columns=["flat", "flat_level"])))
    assert ours.column_pair_trends == pytest.approx(without.column_pair_trends, abs=TOL)
    assert ours.column_pair_trends_all_pairs == pytest.approx(without.column_pair_trends_all_pairs, abs=TOL)


def test_no_strong_pair_leaves_shapes_alone():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=300), "y": rng.normal(size=300)})
    synthetic = pd.DataFrame({"x": rng.normal(size=300), "y": rng.normal(size=300)})
    ours = _assert_parity(real, synthetic, {"x": True, "y": True})
    assert np.isnan(ours.column_pair_trends) and ours.quality_score == ours.column_shapes
    assert np.isfinite(ours.column_pair_trends_all_pairs)


def _wide_mixed_table(n: int, seed: int, new_level: bool = False) -> pd.DataFrame:
    """24 columns, levels among the numbers: correlated numbers (some whole, so values sit on bin edges), levels cut
    from them or drawn at random (one of whole numbers), gaps in both kinds, a constant number, a constant level."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 2))
    frame = pd.DataFrame(index=range(n))
    for i in range(14):
        values = latent @ rng.normal(size=2) + rng.normal(scale=0.7, size=n)
        frame[f"x{i}"] = np.round(values * 2) if i % 4 == 0 else values
        if i % 3 == 0:
            frame[f"level{i}"] = np.where(latent[:, i % 2] > 0.4, "up", np.where(latent[:, i % 2] < -0.6, "down",
                                                                                 "flat")).astype(object)
    frame["colour"] = rng.choice(["red", "green", "blue", "grey"], size=n).astype(object)
    frame["grade"] = rng.integers(1, 4, size=n).astype(object)  # a level column of whole numbers
    frame["fixed"] = 5.0
    frame["same"] = "one"
    for column in ("x1", "x5", "level3", "colour"):
        frame.loc[rng.random(n) < 0.15, column] = np.nan
    if new_level:
        frame.loc[:19, "colour"] = "purple"
    return frame


def test_quality_score_matches_sdmetrics_on_a_wide_mixed_table():
    # every kind of pair at once (number, level, mixed; a level column before and after a number; gaps, ties on
    # bin edges, constants, a level only synthetic rows have): the all-pairs code against SDMetrics pair by pair
    real, synthetic = _wide_mixed_table(1500, 7), _wide_mixed_table(1200, 8, new_level=True)
    numeric = {c: c.startswith("x") or c == "fixed" for c in real.columns}
    assert len(numeric) == 23
    ours = _assert_parity(real, synthetic, numeric)
    assert ours.pairs["strong"].sum() >= 20 and ours.pairs["score"].isna().sum() == 22 + 21  # the constants' pairs
    page = fidelity(real, synthetic, numeric)  # the Quality page's path: shapes from the per-feature figures
    assert page.quality_score == pytest.approx(ours.quality_score, abs=1e-15)
    assert page.column_shapes == pytest.approx(ours.column_shapes, abs=1e-15)


def test_prdc_matches_the_reference_package():
    from prdc import compute_prdc
    rng = np.random.default_rng(7)
    real = rng.normal(size=(300, 4))
    # near copies of real rows: an exact copy can sit exactly on a ball's edge, where the last bit of the distance
    # (which depends on the reference's n_jobs=8 chunking) decides; a 1e-9 nudge keeps the test off that tie
    synthetic = np.vstack([rng.normal(0.3, 1.2, size=(250, 4)), real[:20] + 1e-9])
    ours = prdc(real, synthetic, k=5)
    reference = compute_prdc(real, synthetic, nearest_k=5)
    for name in ("precision", "recall", "density", "coverage"):
        assert getattr(ours, name) == pytest.approx(reference[name], abs=TOL), name
    assert 0 < ours.precision < 1 and 0 < ours.coverage < 1


def test_dcr_share_by_hand():
    # MOSTLY AI: share = mean(d_train < d_holdout) + 0.5 * mean(d_train = d_holdout)
    train = np.array([[0.0], [10.0]])
    holdout = np.array([[1.0], [20.0]])
    synthetic = np.array([[0.2], [0.5], [9.0], [15.0]])
    # d_train: 0.2, 0.5, 1.0, 5.0; d_holdout: 0.8, 0.5, 8.0, 5.0 -> closer to train 2 of 4, ties 2 of 4
    assert dcr_share(train, holdout, synthetic, seed=0) == pytest.approx(2 / 4 + 0.5 * 2 / 4)
    assert dcr_share(train, np.empty((0, 1)), synthetic, seed=0) is None


def test_nndr_identifiability_and_near_threshold_by_hand():
    train = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0], [100.0, 100.0]])
    minority = train[:3]
    synthetic = np.array([[1.0, 0.0], [0.0, 0.0], [50.0, 50.0]])
    exact = np.array([False, True, False])
    privacy = privacy_checks(train, synthetic, minority, minority, exact, seed=0)
    # NNDR (MOSTLY AI): closest / second-closest training distance; row 0: 1 / 3; an exact copy: 0
    assert privacy.nndr[0] == pytest.approx(1 / 3) and privacy.nndr[1] == 0.0
    assert privacy.nndr[2] == pytest.approx(np.hypot(46, 50) / np.hypot(50, 47))  # (4,0) then (0,3)
    # near-copy threshold: 5th percentile of the minority rows' own gaps (3, 3, 3), not of all training rows'
    assert privacy.near_threshold == pytest.approx(3.0)
    assert privacy.near_copies == 1 and privacy.exact_copies == 1  # row 0 at 1.0 < 3; row 1 is exact
    # identifiability (synthcity, unit weights): real rows whose closest synthetic row is closer than their
    # closest other real row: (0,0) 0 < 3 yes; (4,0) 3 < 4 yes; (0,3) sqrt(10) = 3.16 < 3 no -> 2 / 3
    assert identifiability(minority, synthetic) == pytest.approx(2 / 3)
    assert near_copy_threshold(minority[:1], seed=0) == 0.0 and identifiability(minority[:1], synthetic) is None
