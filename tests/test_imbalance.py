"""The imbalance profile on hand-made points and on the samples."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.data import validate_dataset
from core.imbalance import minority_typology, profile_dataset
from core.reading import read_table


def test_hypothyroid_profile(datasets):
    p = profile_dataset(datasets["hypothyroid"])
    assert p.minority_class == "hypothyroid" and p.minority_count == 151
    assert p.imbalance_ratio == 19.9
    assert not p.is_multiclass and p.n_features == 25
    # 6.8% of feature cells missing among negatives, 4.8% among hypothyroid rows
    assert round(p.missing_share_by_class["negative"], 3) == 0.068
    assert round(p.missing_share_by_class["hypothyroid"], 3) == 0.048
    tbg = p.missing_by_feature.set_index("feature").loc["TBG"]
    assert tbg["missing"] == 2903
    assert p.typology.iloc[0][["safe", "borderline", "rare", "outlier"]].sum() == 151


def test_abalone_profile(datasets):
    p = profile_dataset(datasets["abalone19"])
    assert p.class_counts == {"negative": 4142, "positive": 32}
    assert p.imbalance_ratio == 129.4
    assert p.missing_share == 0.0
    row = p.typology.iloc[0]
    assert row["safe"] == 0 and row["outlier"] > 20  # 19-ring abalone sit among the others
    assert "positive" in p.summary and "129.4 : 1" in p.summary


def test_typology_by_hand():
    # Six minority rows in a tight cluster (each one's 5 nearest are the other five: safe), one minority row
    # inside a majority block (all 5 neighbours majority: outlier), one at the edge with 2 minority neighbours.
    minority = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 10.0]
    majority = list(np.linspace(9.0, 11.0, 21)) + [30.0, 30.5, 31.0]
    frame = pd.DataFrame({"x": minority + majority, "y": ["m"] * 7 + ["M"] * 24})
    result = minority_typology(frame, "y", ["x"], {"x": "numeric"}, ["m"])
    assert result.iloc[0][["safe", "borderline", "rare", "outlier"]].tolist() == [6, 0, 0, 1]


def test_multiclass_minorities():
    rows = "".join(f"{i},{'a' if i < 50 else ('b' if i < 65 else 'c')}\n" for i in range(70))
    ds = validate_dataset(read_table(("x,y\n" + rows).encode(), "m.csv"), "y")
    p = profile_dataset(ds)
    assert p.is_multiclass and p.majority_class == "a"
    assert p.minority_classes == ["b", "c"] and p.minority_class == "c"
    assert p.imbalance_ratio == 10.0
    assert set(p.typology["class"]) == {"b", "c"}


def test_chunked_encoding_equals_the_fitted_space(datasets):
    """The typology's space, encoded part by part in chunks, is the same matrix as fit_transform."""
    from core.encoding import distance_space, encoded_in_chunks, model_frame
    ds = datasets["german_credit"]
    whole = distance_space(ds.features, ds.column_types).fit_transform(
        model_frame(ds.frame, ds.features, ds.column_types))
    chunked = encoded_in_chunks(ds.frame, ds.features, ds.column_types, chunk_rows=300)
    assert chunked.shape == (1000, 61) and np.array_equal(np.asarray(whole, dtype=float), chunked)
