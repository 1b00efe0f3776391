"""The decision record's staleness rule (core/decision.py): a comparison is current for the inputs it was computed
for, and names what changed otherwise."""
from __future__ import annotations

from core.cleaning import CleaningPlan
from core.config import RunConfig
from core.decision import comparison_staleness
from core.pipeline import run_experiment


def test_a_comparison_names_the_inputs_changed_since_it_ran(small_credit):
    result = run_experiment(small_credit, RunConfig(target="credit_risk", method="threshold_tuned", repeats=1),
                            n_jobs=1)
    now = dict(dataset=small_credit, cleaning=CleaningPlan(), seed=42, test_size=0.3, classifier="logreg",
               strategy="threshold_tuned")
    assert comparison_staleness(result, **now) == ""
    assert comparison_staleness(result, **{**now, "strategy": None}) == ""  # no strategy chosen: the run's own
    assert comparison_staleness(result, **{**now, "classifier": "rf"}) == (
        "The comparison below was computed for the classifier logistic regression (scaled, one-hot), before you "
        "changed the classifier: run it again to update it.")
    moved = comparison_staleness(result, **{**now, "seed": 7, "cleaning": CleaningPlan(missing="drop_rows")})
    assert moved.startswith("The comparison below was computed for the cleaning ") and \
        moved.endswith("before you changed the cleaning, the split seed: run it again to update it.")
