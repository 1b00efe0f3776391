"""core/thresholds.py: the grid's precision, recall and F1 equal scikit-learn's, and a tuned threshold comes from
out-of-fold scores over K inner folds, never from rows its model fitted."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import core.thresholds as thresholds


def test_threshold_scores_equal_scikit_learn():
    rng = np.random.default_rng(3)
    truth = rng.random(300) < 0.2
    scores = np.clip(truth * 0.3 + rng.random(300) * 0.7, 0, 1)
    table = thresholds.scores_by_threshold(truth, scores)
    for t in (0.05, 0.3, 0.5, 0.77, 0.99):
        row = table.loc[np.isclose(table["threshold"], t)].iloc[0]
        assert row["f1"] == pytest.approx(skm.f1_score(truth, scores >= t, zero_division=0))
        assert row["precision"] == pytest.approx(skm.precision_score(truth, scores >= t, zero_division=0))
        assert row["recall"] == pytest.approx(skm.recall_score(truth, scores >= t, zero_division=0))


def _small_binary(rows: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(rows) < rows // 4, "yes", "no")
    return pd.DataFrame({"a": rng.normal(size=rows) + (y == "yes"), "b": rng.normal(size=rows), "y": y})


def test_the_threshold_is_tuned_on_out_of_fold_scores_never_on_rows_the_model_fitted(monkeypatch):
    frame = _small_binary()
    fitted, scored_rows = [], []
    real_fit, real_proba = thresholds.fit_strategy, thresholds.strategy_proba

    def spy_fit(model, rows, *args):
        fitted.append(set(rows.index))
        return real_fit(model, rows, *args)

    def spy_proba(model, rows, *args):
        scored_rows.append(set(rows.index))
        return real_proba(model, rows, *args)

    monkeypatch.setattr(thresholds, "fit_strategy", spy_fit)
    monkeypatch.setattr(thresholds, "strategy_proba", spy_proba)
    from core.models import make_strategy
    kinds = {"a": "numeric", "b": "numeric"}
    choice = thresholds.choose_threshold(make_strategy("logreg", ["a", "b"], kinds, 0), frame, "y", ["a", "b"],
                                         ["yes"], seed=3)
    assert choice.tuned and choice.folds == 3 and not choice.fallback and 0 < choice.threshold < 1
    assert len(fitted) == len(scored_rows) == 3  # K inner folds, no single validation split
    for fit_rows, check_rows in zip(fitted, scored_rows):
        assert not fit_rows & check_rows  # each score comes from a model that never saw that row
    assert set().union(*scored_rows) == set(frame.index)  # every training row is scored once, out of fold
    assert sum(len(rows) for rows in scored_rows) == len(frame)
