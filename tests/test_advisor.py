"""The advisor's choices on the three samples and on an all-numeric table."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.advisor import advise
from core.data import validate_dataset
from core.imbalance import profile_dataset
from core.reading import read_table


def usable(advice):
    return [r.method for r in advice.ranked if r.usable]


def test_mixed_samples_get_smotenc_first_and_numbers_only_methods_marked_unusable(datasets):
    for name in ("german_credit", "hypothyroid"):
        advice = advise(profile_dataset(datasets[name]))
        assert advice.best.method == "smotenc"
        assert "made for mixed tables" in advice.best.reasons[0]
        assert {"adasyn", "borderline_smote", "svm_smote", "kmeans_smote", "smoten"}.isdisjoint(usable(advice))
        matrix = advice.matrix.set_index("method")
        assert matrix.loc["ADASYN", "usable here"] == "no" and matrix.loc["SMOTE-NC", "usable here"] == "yes"


def test_tiny_minority_puts_neural_generators_last(datasets):
    advice = advise(profile_dataset(datasets["abalone19"]))
    order = usable(advice)
    assert order.index("ctgan") > order.index("gaussian_copula") and order.index("tvae") > order.index("smotenc")
    ctgan = next(r for r in advice.ranked if r.method == "ctgan")
    assert any("too few to train a neural model" in reason for reason in ctgan.reasons)
    assert advice.matrix.set_index("method").loc["CTGAN", "enough minority rows"] == "no"


def test_numeric_table_with_a_noisy_minority_prefers_boundary_methods():
    rng = np.random.default_rng(0)
    majority = rng.normal(0, 1, size=(400, 3))
    minority = rng.normal(0.3, 1, size=(60, 3))  # overlaps the majority: mostly borderline / rare rows
    frame = pd.DataFrame(np.vstack([majority, minority]).round(3), columns=["a", "b", "c"])
    frame["y"] = ["maj"] * 400 + ["min"] * 60
    profile = profile_dataset(validate_dataset(read_table(frame.to_csv(index=False).encode(), "n.csv"), "y"))
    advice = advise(profile)
    top3 = [r.method for r in advice.ranked[:3]]
    assert "smote" in top3 and ("borderline_smote" in top3 or "adasyn" in top3)
    assert "smotenc" not in top3
