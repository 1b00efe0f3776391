"""The validation verdict says only what is true: per-class detection for several classes, near copies measured on
distinct minority rows, and a reading for each figure that is easy to misread (with its minimum of rows)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.column_kinds import infer_column_types
from core.data import LoadedTable, sha256_of, validate_dataset
from core.pipeline import prepare
from core.validation.neighbours import nearest
from core.validation.privacy import privacy_checks
from core.validation.validate import MIN_HOLDOUT_ROWS, validate_synthetic
from core.validation.verdict import Outcome


def _dataset(frame: pd.DataFrame):
    table = LoadedTable(frame=frame, name="t.csv", sha256=sha256_of(b"t"), n_bytes=0,
                        column_types=infer_column_types(frame))
    return validate_dataset(table, "label")


def _draw(rng, label: str, n: int, centre: float) -> pd.DataFrame:
    x = rng.normal(centre, 1.0, n)
    return pd.DataFrame({"x": x, "y": rng.normal(centre, 1.0, n) + 0.5 * (x - centre), "label": label})


@pytest.fixture(scope="module")
def fresh_draws():
    """Real: a majority and two minority classes (A common, B rare). Synthetic: fresh draws from the true class
    distributions, but mostly B: each class alone is indistinguishable, the pooled mixture is not."""
    rng = np.random.default_rng(0)
    frame = pd.concat([_draw(rng, "maj", 700, 0.0), _draw(rng, "A", 140, 5.0), _draw(rng, "B", 30, -5.0)],
                      ignore_index=True)
    prepared = prepare(_dataset(frame), test_size=0.3, seed=0)
    synthetic = pd.concat([_draw(rng, "A", 20, 5.0), _draw(rng, "B", 400, -5.0)], ignore_index=True)
    ds = prepared.dataset
    return validate_synthetic(prepared.train, prepared.test, synthetic, "label", ds.features, ds.column_types,
                              seed=0, cleaning=prepared.cleaning)


def test_multiclass_detection_is_judged_per_class_not_pooled(fresh_draws):
    result = fresh_draws
    assert result.detection_auc_pooled > 0.8  # the pooled model separates by the class mixture alone
    per_class = {c.label: c for c in result.per_class}
    assert all(0.3 < c.detection_auc < 0.7 for c in per_class.values())
    weights = [per_class["A"].weight, per_class["B"].weight]
    assert weights == pytest.approx([20 / 420, 400 / 420])
    expected = np.average([per_class["A"].detection_auc, per_class["B"].detection_auc], weights=weights)
    assert result.detection_auc == pytest.approx(expected) and result.check_values()["detection_auc"] == expected
    check = next(c for c in result.verdict.checks if c.name == "detection_auc")
    assert check.outcome is Outcome.PASS
    assert "detection AUC" not in " ".join(result.verdict.failed_checks)
    block = result.to_dict()
    assert block["detection_auc"] == result.detection_auc and block["detection_auc_pooled"] > 0.8
    reading = next(r for r in result.readings if r.figure == "detection_auc")
    assert "per-class AUCs' weighted mean" in reading.sentence and "mixture" in reading.sentence


def test_near_copies_are_measured_on_distinct_minority_rows():
    """10 of 110 minority rows duplicated: the old threshold (5th percentile over every row) was 0, so 50 synthetic
    rows at 0.001 from a training row passed as no copies at all."""
    rng = np.random.default_rng(4)
    distinct = rng.normal(0, 3, (100, 2))
    minority = np.vstack([distinct, distinct[:10]])
    synthetic = distinct[20:70] + 0.001
    train = np.vstack([minority, rng.normal(10, 1, (300, 2))])
    privacy = privacy_checks(train, synthetic, rng.normal(0, 3, (40, 2)), minority, np.zeros(50, dtype=bool), seed=0)
    by_hand = np.percentile(nearest(distinct, distinct, 2)[:, 1], 5)
    assert np.percentile(nearest(minority, minority, 2)[:, 1], 5) == 0.0  # what the old threshold was
    assert privacy.near_threshold == pytest.approx(by_hand) and by_hand > 0.05
    assert privacy.near_copies == 50 and privacy.near_share == 1.0
    assert privacy.minority_duplicate_share == pytest.approx(10 / 110)
    assert privacy.copy_mask.sum() == 50


@pytest.fixture(scope="module")
def small_holdout():
    """One rare class: 40 rows, so the test part holds 12 of them (under the DCR minimum)."""
    rng = np.random.default_rng(2)
    frame = pd.concat([_draw(rng, "maj", 300, 0.0), _draw(rng, "A", 40, 4.0)], ignore_index=True)
    prepared = prepare(_dataset(frame), test_size=0.3, seed=0)
    ds = prepared.dataset
    return validate_synthetic(prepared.train, prepared.test, _draw(rng, "A", 60, 4.0), "label", ds.features,
                              ds.column_types, seed=0, cleaning=prepared.cleaning)


def test_each_misreadable_figure_gets_a_sentence_for_this_run(small_holdout):
    result = small_holdout
    readings = {r.figure: r for r in result.readings}
    dcr = readings["dcr_share_vs_holdout"]
    assert result.privacy.n_holdout == dcr.rows == 12 and dcr.minimum_rows == MIN_HOLDOUT_ROWS and dcr.too_few_rows
    assert f"Only 12 held-out rows, under the minimum of {MIN_HOLDOUT_ROWS}" in dcr.sentence
    assert dcr.sentence.startswith(f"DCR share vs holdout {result.privacy.dcr_share_vs_holdout:.2f}: ")
    below = {r.figure: r for r in replace(result, detection_auc=0.43).readings}["detection_auc"]
    assert below.sentence.startswith("Detection AUC 0.43 is below 0.5: the model tells synthetic rows from real ones "
                                     "no better than chance")
    above = {r.figure: r for r in replace(result, detection_auc=0.71).readings}["detection_auc"]
    assert "71% of the time (50% is chance)" in above.sentence and not above.too_few_rows
    every = replace(result, privacy=replace(result.privacy, identifiability=1.0))
    identifiability = {r.figure: r for r in every.readings}["identifiability"]
    assert identifiability.sentence.startswith("Identifiability 1.00: every real minority row has a synthetic row "
                                               "closer to it than its nearest other real row")
    assert [r["figure"] for r in result.to_dict()["readings"]] == ["detection_auc", "identifiability",
                                                                    "dcr_share_vs_holdout"]
    enough = replace(result, privacy=replace(result.privacy, n_holdout=MIN_HOLDOUT_ROWS))
    assert not {r.figure: r for r in enough.readings}["dcr_share_vs_holdout"].too_few_rows
