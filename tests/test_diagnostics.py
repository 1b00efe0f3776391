"""core/diagnostics.py: what the Comparison page shows beyond the verdict (fairness by a sensitive attribute)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.diagnostics import fairness
from core.evaluation import ArmRun


def test_fairness_names_gaps_as_the_group_missing():
    test = pd.DataFrame({"y": ["min", "maj", "min", "maj", "maj", "min"],
                         "sex": ["f", "m", None, np.nan, "f", "m"]}, index=range(6))
    predictions = np.array(["min", "maj", "maj", "min", "maj", "min"])

    def run(arm):
        return ArmRun(arm, {}, pd.DataFrame(), 0.5, np.zeros(6), predictions, 0.0)
    table, gaps = fairness(test, {"threshold_tuned": run("threshold_tuned"),
                                             "augmented_tuned": run("augmented_tuned")}, "y", ["min"], "sex")
    judged = table.loc[table["arm"] == "augmented_tuned"].set_index("group")
    assert set(judged.index) == {"f", "m", "missing"} and "nan" not in set(table["group"])
    assert judged.loc["missing", "rows"] == 2 and judged.loc["missing", "recall"] == 0.0  # the gap row 'min' missed
    assert judged.loc["missing", "predicted_minority"] == 0.5  # one of its two rows flagged
    assert gaps["augmented_tuned"]["equal_opportunity_difference"] == 1.0  # f and m: recall 1; missing: 0
