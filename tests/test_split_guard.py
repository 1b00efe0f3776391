"""The held-out guard by row identity (survives pd.concat and merge, which drop the attrs mark), and the typology
the advisor reads computed on the training part only."""
from __future__ import annotations

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
