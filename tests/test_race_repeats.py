"""How many repeats a race runs follows from its inputs, never from a clock (same inputs, same figures anywhere)."""
from __future__ import annotations

import core.race as race_module
from core.race import DEFAULT_REPEATS, race, repeats_for
from core.strategies import NO_GENERATION


def test_repeats_follow_the_inputs_and_the_budget():
    small = repeats_for(700, 20, [*NO_GENERATION, "random_oversampler", "smotenc"], "logreg", 5, 300.0)
    assert small == DEFAULT_REPEATS  # German credit's training part: 3 x 5 fits easily
    # 80,000 x 30 rows per fold, 10 candidates, logistic regression: about 40 fits' worth per fold and repeat
    big = repeats_for(100_000, 30, [*NO_GENERATION, "random_oversampler", "smote", "borderline_smote", "adasyn",
                                    "gaussian_copula", "tvae"], "logreg", 5, 300.0)
    assert big == 1
    assert repeats_for(100_000, 30, list(NO_GENERATION), "logreg", 5, 10_000.0) == DEFAULT_REPEATS
    assert repeats_for(5_000, 20, list(NO_GENERATION), "rf", 5, 1.0) == 1  # never below one repeat


def test_a_loaded_machine_does_not_change_the_race(small_credit, monkeypatch):
    """The timed estimate is only shown: a machine 10,000 times slower races the same folds and gives the same
    figures."""
    ds = small_credit
    train = ds.frame.iloc[:240]
    args = (train, ds.target, ds.features, ds.column_types, ["bad"], "good", "logreg", 2, 7)
    quiet = race(*args, candidates=["as_is", "class_weighted_default"], n_jobs=1)
    real_estimate = race_module.estimate_race_seconds
    monkeypatch.setattr(race_module, "estimate_race_seconds", lambda *a, **k: real_estimate(*a, **k) * 10_000)
    loaded = race(*args, candidates=["as_is", "class_weighted_default"], n_jobs=1)
    assert quiet.repeats == loaded.repeats == DEFAULT_REPEATS
    assert [c.minority_f1.mean for c in quiet.candidates] == [c.minority_f1.mean for c in loaded.candidates]
