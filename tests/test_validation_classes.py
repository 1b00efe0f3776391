"""Like against like: per-class validation, the holdout restricted to the synthesised classes and cleaned with the
training part's plan, the detection test's power and interval, class representation out of sample on both sides."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.cleaning import CleaningPlan
from core.column_kinds import infer_column_types
from core.data import LoadedTable, sha256_of, validate_dataset
from core.pipeline import prepare
from core.validation.detection import detection
from core.validation.validate import validate_synthetic
from core.validation.verdict import Outcome


def _dataset(frame: pd.DataFrame):
    table = LoadedTable(frame=frame, name="t.csv", sha256=sha256_of(b"t"), n_bytes=0,
                        column_types=infer_column_types(frame))
    return validate_dataset(table, "label")


def _three_classes(seed: int = 0, gaps: bool = False) -> pd.DataFrame:
    """A majority around (0, 0) and two minority classes far apart: A around (6, 6), B around (-6, -6)."""
    rng = np.random.default_rng(seed)
    parts = []
    for label, n, centre in (("maj", 700, (0, 0)), ("A", 80, (6, 6)), ("B", 80, (-6, -6))):
        x = rng.normal(centre[0], 1.0, n)
        parts.append(pd.DataFrame({"x": x, "y": rng.normal(centre[1], 1.0, n) + 0.8 * (x - centre[0]),
                                   "label": label}))
    frame = pd.concat(parts, ignore_index=True)
    if gaps:
        frame.loc[rng.random(len(frame)) < 0.15, "x"] = np.nan
    return frame


def _swapped(prepared) -> pd.DataFrame:
    """Synthetic rows that copy the OTHER class's real rows (plus noise): pooled they match the real minority
    mixture exactly, class by class they are wrong."""
    train = prepared.train
    rng = np.random.default_rng(1)
    rows = []
    for label, other in (("A", "B"), ("B", "A")):
        source = train.loc[train["label"] == other, ["x", "y"]].to_numpy()
        rows.append(pd.DataFrame({"x": source[:, 0] + rng.normal(0, 0.05, len(source)),
                                  "y": source[:, 1] + rng.normal(0, 0.05, len(source)), "label": label}))
    return pd.concat(rows, ignore_index=True)


def test_per_class_validation_catches_what_pooling_hides():
    prepared = prepare(_dataset(_three_classes()), test_size=0.3, seed=0)
    ds = prepared.dataset
    result = validate_synthetic(prepared.train, prepared.test, _swapped(prepared), "label", ds.features,
                                ds.column_types, seed=0, cleaning=prepared.cleaning)
    assert result.fidelity.quality_score > 0.9  # the pooled figure says all is well
    assert [c.label for c in result.per_class] == ["A", "B"]
    assert all(c.quality_score < 0.5 and c.precision == 0.0 for c in result.per_class)
    assert [c.weight for c in result.per_class] == [0.5, 0.5] and "A 50%, B 50%" in result.weights_text
    assert result.quality_score == pytest.approx(np.average([c.quality_score for c in result.per_class]))
    assert result.check_values()["quality_score"] == result.quality_score
    assert result.check_values()["precision"] == 0.0 and result.coverage.precision > 0.9
    quality = next(c for c in result.verdict.checks if c.name == "quality_score")
    assert quality.outcome is Outcome.REJECT
    assert result.representation.synthetic_share < 0.1  # the real-data model sees them as the other class
    block = result.to_dict()
    assert len(block["per_class"]) == 2 and block["quality_score_weighted"] == result.quality_score


def test_holdout_is_restricted_to_synthesised_classes_and_cleaned_like_training():
    prepared = prepare(_dataset(_three_classes(gaps=True)), test_size=0.3, seed=0,
                       cleaning=CleaningPlan(missing="drop_rows"))
    ds = prepared.dataset
    synthetic = _swapped(prepared).query("label == 'A'")
    test = prepared.split.test
    expected = int(((test["label"] == "A") & test["x"].notna()).sum())
    result = validate_synthetic(prepared.train, prepared.test, synthetic, "label", ds.features, ds.column_types,
                                seed=0, cleaning=prepared.cleaning)
    assert result.privacy.n_holdout == expected < int((test["label"] == "A").sum()) < len(test)
    assert len(result.privacy.holdout_dcr) == expected and result.per_class == ()
    uncleaned = validate_synthetic(prepared.train, prepared.test, synthetic, "label", ds.features, ds.column_types,
                                   seed=0)
    assert uncleaned.privacy.n_holdout == int((test["label"] == "A").sum())  # restricted, not cleaned


def test_detection_keeps_every_synthetic_row_and_reports_its_interval():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=8), "y": rng.normal(size=8)})
    synthetic = pd.DataFrame({"x": rng.normal(3, 1, 400), "y": rng.normal(size=400)})
    kinds = {"x": "numeric", "y": "numeric"}
    result = detection(real, synthetic, ["x", "y"], kinds, seed=0)
    assert result.n_real == 8 and result.n_synthetic == 400 and len(result.fold_scores) == 5
    assert result.auc == pytest.approx(np.mean(result.fold_scores)) and result.auc > 0.9
    assert result.low <= result.auc <= result.high and "too noisy" in result.note
    alone = detection(real.head(1), synthetic, ["x", "y"], kinds, seed=0)
    assert alone.auc is None and alone.low is None and "not measured" in alone.note


def test_class_representation_scores_real_rows_out_of_sample():
    # labels are noise: a model fitted on all training rows recognises its own minority rows better than it can
    # recognise rows it never saw; the real side is scored out of fold, like the synthetic rows
    from core.models import fit_classifier, make_classifier, predict_proba
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({f"f{i}": rng.normal(size=400) for i in range(12)})
    frame["label"] = np.where(rng.random(400) < 0.15, "rare", "common")
    prepared = prepare(_dataset(frame), test_size=0.3, seed=0)
    ds = prepared.dataset
    minority = prepared.train.loc[prepared.train["label"] == "rare"]
    model = fit_classifier(make_classifier("logreg", ds.features, ds.column_types, 0, class_weight="balanced"),
                           prepared.train, "label", ds.features, ds.column_types)
    in_sample = float((predict_proba(model, minority, ds.features, ds.column_types).idxmax(axis=1) == "rare").mean())
    synthetic = pd.DataFrame({c: rng.normal(size=60) for c in ds.features}).assign(label="rare")
    result = validate_synthetic(prepared.train, prepared.test, synthetic, "label", ds.features, ds.column_types,
                                seed=0)
    assert result.representation.real_share < in_sample - 0.15
    assert 0.0 < result.representation.synthetic_share < 1.0
