"""The held-out guard by row identity (survives pd.concat and merge, which drop the attrs mark), and the typology
the advisor reads computed on the training part only."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from core.errors import HeldOutLeak
from core.evaluation import run_arms
from core.imbalance import minority_typology
from core.split import ensure_not_held_out, split_dataset
from core.validation.validate import validate_synthetic


def test_concatenated_and_merged_frames_holding_test_rows_are_refused(datasets, prepared):
    ds = datasets["german_credit"]
    split = split_dataset(ds, seed=42)
    ensure_not_held_out(split.train, split.test)  # the clean training part passes
    concatenated = pd.concat([split.train, split.test.head(5)])
    assert concatenated.attrs == {}  # the attrs mark is gone: only row identity can catch this
    ensure_not_held_out(concatenated)  # the mark alone misses it ...
    with pytest.raises(HeldOutLeak, match="5 held-out test row"):
        ensure_not_held_out(concatenated, split.test)  # ... the test index does not
    lookup = pd.DataFrame({"housing_cost": [1, 2, 3]}, index=["own", "rent", "for free"])
    merged = concatenated.merge(lookup, left_on="housing", right_index=True, how="left")
    assert merged.attrs == {} and len(merged) == len(concatenated)
    with pytest.raises(HeldOutLeak):
        ensure_not_held_out(merged, split.test.index)
    prep = prepared["german_credit"]
    leaked = pd.concat([prep.train, prep.test.tail(3)])
    minority = prep.train.loc[prep.train["credit_risk"] == "bad"].head(20).reset_index(drop=True)
    with pytest.raises(HeldOutLeak):
        validate_synthetic(leaked, prep.test, minority, "credit_risk", ds.features, ds.column_types, seed=0)
    with pytest.raises(HeldOutLeak):
        run_arms(leaked, prep.test, minority, "credit_risk", ds.features, ds.column_types, ["bad"], "good")


def test_the_advisor_reads_the_training_part_typology(prepared):
    prep = prepared["hypothyroid"]
    ds = prep.dataset
    train_typology = prep.train_typology
    counts = train_typology.set_index("class").sum(axis=1)
    assert counts["hypothyroid"] == prep.train_class_counts["hypothyroid"] < prep.profile.minority_count
    expected = minority_typology(prep.train, ds.target, ds.features, ds.column_types, ["hypothyroid"])
    pd.testing.assert_frame_equal(train_typology.reset_index(drop=True), expected)
    assert prep.advisor_profile.typology is train_typology
    assert prep.advisor_profile.minority_count == prep.profile.minority_count  # only the typology changes


def test_a_merge_that_resets_the_index_is_caught_by_row_content(datasets):
    ds = datasets["german_credit"]
    split = split_dataset(ds, seed=42)
    lookup = pd.DataFrame({"housing": ["own", "rent", "for free"], "housing_cost": [1, 2, 3]})
    clean = split.train.merge(lookup, on="housing", how="left")  # merge on a column: a fresh 0..n-1 index
    ensure_not_held_out(clean.set_axis(clean.index + 10_000), split.test)  # training rows pass (labels unseen)
    leaked = pd.concat([split.train, split.test.head(4)]).merge(lookup, on="housing", how="left")
    leaked.index = leaked.index + 10_000  # no label in common with the test part: the index guard is blind
    assert not leaked.index.isin(split.test.index).any() and leaked.attrs == {}
    with pytest.raises(HeldOutLeak, match="4 held-out test row\\(s\\), found by their content"):
        ensure_not_held_out(leaked, split.test)
    with pytest.raises(HeldOutLeak, match="found by their content"):
        ensure_not_held_out(pd.concat([split.train, split.test.tail(1)]).reset_index(drop=True)
                            .set_axis(range(5000, 5000 + len(split.train) + 1)), split.test)


def test_content_twins_are_not_leaks(datasets):
    ds = datasets["german_credit"]
    doubled = replace(ds, frame=pd.concat([ds.frame, ds.frame.head(50)], ignore_index=True))
    split = split_dataset(doubled, seed=3)
    assert len(split.test.merge(split.train, how="inner")) > 0  # test rows whose twin is in the training part
    ensure_not_held_out(split.train.reset_index(drop=True).set_axis(range(10**6, 10**6 + len(split.train))),
                        split.test)
    # a training row that keeps its dataset label and equals a test-only row (after imputation, say) is training
    twin = split.train.copy()
    twin.iloc[0] = split.test.iloc[0]
    ensure_not_held_out(twin, split.test)


def test_marked_test_parts_still_concatenate(datasets):
    split = split_dataset(datasets["german_credit"], seed=42)
    both = pd.concat([split.test.head(3), split.test.tail(3)])  # pandas compares the two frames' attrs
    assert len(both) == 6
    with pytest.raises(HeldOutLeak):
        ensure_not_held_out(both)
