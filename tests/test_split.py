"""The stratified split, and the held-out mark that every fitting step refuses."""
from __future__ import annotations

import pytest

from core.cleaning import CleaningPlan, clean_training
from core.encoding import fit_distance_space
from core.errors import ConfigError, HeldOutLeak
from core.generators.registry import generate
from core.split import ensure_not_held_out, split_dataset


def test_split_is_stratified_and_disjoint(datasets):
    ds = datasets["abalone19"]
    split = split_dataset(ds, test_size=0.3, seed=7)
    assert split.class_distribution.loc["positive"].tolist() == [32, 22, 10]
    assert split.class_distribution.loc["negative"].tolist() == [4142, 2899, 1243]
    assert not set(split.train.index) & set(split.test.index)
    assert len(split.train) + len(split.test) == len(ds.frame)


def test_same_seed_same_rows_other_seed_other_rows(datasets):
    ds = datasets["german_credit"]
    a, b, c = split_dataset(ds, seed=1), split_dataset(ds, seed=1), split_dataset(ds, seed=2)
    assert list(a.test.index) == list(b.test.index)
    assert list(a.test.index) != list(c.test.index)


def test_test_share_out_of_range():
    with pytest.raises(ConfigError, match="between 10% and 50%"):
        split_dataset(None, test_size=0.9)


def test_every_fitting_step_refuses_the_test_part(datasets):
    ds = datasets["german_credit"]
    split = split_dataset(ds)
    assert split.train.attrs == {}
    ensure_not_held_out(split.train)
    with pytest.raises(HeldOutLeak):
        ensure_not_held_out(split.test.iloc[:10].copy())  # the mark survives slicing and copying
    with pytest.raises(HeldOutLeak):
        clean_training(split.test, ds.target, ds.features, ds.column_types, "bad", CleaningPlan("median_mode"))
    with pytest.raises(HeldOutLeak):
        fit_distance_space(split.test, ds.features, ds.column_types)
    with pytest.raises(HeldOutLeak):
        generate(split.test, ds.target, ds.features, ds.column_types, {"bad": 5}, "smotenc")


def test_median_imputer_matches_scikit_learn():
    import numpy as np
    from sklearn.impute import SimpleImputer

    from core.encoding import MedianImputer
    values = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 1.0], [5.0, np.nan, np.nan], [2.0, np.nan, 2.0]])
    ours = MedianImputer().fit(values).transform(values)
    theirs = SimpleImputer(strategy="median", keep_empty_features=True).fit(values).transform(values)
    assert np.array_equal(ours, theirs)
