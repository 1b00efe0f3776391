"""Cleaning the training part: each step's impact per class, warnings, and imputers applied to test rows."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.cleaning import CleaningPlan, clean_training, fill_missing_like_train
from core.errors import ConfigError, DataError

KINDS = {"x": "numeric", "n": "integer", "c": "categorical"}


def small_train():
    return pd.DataFrame({
        "x": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, np.nan, 8.0, 1.0, 100.0],
        "n": [1, 2, 3, 4, 5, 6, 7, 8, 1, 9],
        "c": ["a", "b", None, "a", "a", "b", "a", "b", "a", "b"],
        "y": ["min", "min", "min", "maj", "maj", "maj", "maj", "maj", "min", "maj"]})


def test_drop_rows_warns_when_minority_loses_more():
    result = clean_training(small_train(), "y", ["x", "n", "c"], KINDS, "min", CleaningPlan(missing="drop_rows"))
    step = result.steps[0]
    assert step.rows_before == 10 and step.rows_after == 8
    assert step.removed_per_class == {"maj": 1, "min": 1}
    assert step.removed_share_per_class["min"] == pytest.approx(0.25)
    assert step.removed_share_per_class["maj"] == pytest.approx(1 / 6)
    assert step.warning is not None and "25.0%" in step.warning
    assert step.completeness_before == pytest.approx(1 - 3 / 30) and step.completeness_after == 1.0


def test_median_mode_imputation_and_test_rows_use_training_figures():
    train = small_train()
    result = clean_training(train, "y", ["x", "n", "c"], KINDS, "min", CleaningPlan(missing="median_mode"))
    assert result.train["x"].isna().sum() == 0
    median = np.nanmedian(train["x"])  # 4.5 from the eight present values
    assert result.train.loc[2, "x"] == median and result.train.loc[2, "c"] == "a"
    test = pd.DataFrame({"x": [np.nan, 3.0], "n": [1, 2], "c": [None, "b"], "y": ["min", "maj"]})
    filled = fill_missing_like_train(result, test, ["x", "n", "c"], KINDS)
    assert filled["x"].tolist() == [median, 3.0] and filled["c"].tolist() == ["a", "b"]


def test_knn_imputation_fills_from_neighbours():
    result = clean_training(small_train(), "y", ["x", "n"], KINDS, "min", CleaningPlan(missing="knn", knn_neighbors=2))
    # row 2 (n=3) takes the mean x of its two nearest rows by n (n=2 -> x 2.0, n=4 -> x 4.0)
    assert result.train.loc[2, "x"] == pytest.approx(3.0)


def test_duplicates_and_conflicting_labels():
    train = pd.DataFrame({"x": [1, 1, 2, 2, 3, 4, 5, 6], "y": ["a", "a", "a", "b", "b", "b", "a", "a"]})
    result = clean_training(train, "y", ["x"], {"x": "integer"}, "a", CleaningPlan(duplicates="drop_conflicting"))
    assert result.exact_duplicates == 1 and result.conflicting_duplicates == 2
    assert result.train["x"].tolist() == [1, 3, 4, 5, 6]
    assert result.steps[0].removed_per_class == {"a": 2, "b": 1}


def test_outliers_flagged_or_removed():
    train = small_train().fillna({"x": 3.0, "c": "a"})
    flagged = clean_training(train, "y", ["x", "n"], KINDS, "min", CleaningPlan(outliers="iqr"))
    assert flagged.outliers_flagged == {"maj": 1} and len(flagged.train) == 10
    removed = clean_training(train, "y", ["x", "n"], KINDS, "min",
                             CleaningPlan(outliers="iqr", outlier_action="remove"))
    assert 100.0 not in removed.train["x"].tolist() and len(removed.train) == 9


def test_cleaning_that_empties_a_class_is_refused(datasets):
    from core.split import split_dataset
    ds = datasets["hypothyroid"]
    split = split_dataset(ds)
    with pytest.raises(DataError, match="Use imputation instead"):
        clean_training(split.train, ds.target, ds.features, ds.column_types, "hypothyroid", CleaningPlan("drop_rows"))


def test_unknown_strategy():
    with pytest.raises(ConfigError, match="Unknown missing-value strategy"):
        CleaningPlan(missing="guess").validate()
