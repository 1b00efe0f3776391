"""The race's shared fold work (core.race._score_group, core.models.SharedFits, core.thresholds.choose_thresholds):
the same figures, float for float, as every candidate fitted on its own, with fewer fits."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer

import core.race as race_module
from core.generators.sampler import GeneratorSampler
from core.models import SharedFits, fit_strategy, make_strategy, strategy_proba
from core.parallel import one_thread_per_task
from core.race import fold_groups, race
from core.strategies import NO_GENERATION
from core.thresholds import choose_threshold, choose_thresholds

PLAIN_AND_ONE_GENERATOR = [*NO_GENERATION, "random_oversampler"]


@pytest.fixture(scope="module")
def credit_part(small_credit):
    """The 300-row German credit sample's training part (mixed column types) and what a race needs of it."""
    from core.pipeline import prepare

    prepared = prepare(small_credit, test_size=0.3, seed=42)
    dataset = prepared.dataset
    kinds = {c: dataset.column_types[c] for c in dataset.features}
    return prepared, kinds


def _race(prepared, kinds, share: bool):
    dataset, profile = prepared.dataset, prepared.profile
    return race(prepared.split.train, dataset.target, dataset.features, kinds, profile.minority_classes,
                profile.majority_class, "logreg", folds=2, seed=7, candidates=PLAIN_AND_ONE_GENERATOR, n_jobs=1,
                repeats=1, cleaning=prepared.cleaning.plan, adaptive=False, share=share)


def test_the_shared_race_equals_every_candidate_fitted_on_its_own_float_for_float(credit_part, monkeypatch):
    prepared, kinds = credit_part
    alone = _race(prepared, kinds, False)
    one_by_one = []  # the shared path falls back to _score_fold only when its work raised: not here
    real_score_fold = race_module._score_fold
    monkeypatch.setattr(race_module, "_score_fold", lambda *a: one_by_one.append(a[-1]) or real_score_fold(*a))
    shared = _race(prepared, kinds, True)
    assert one_by_one == []
    assert [c.name for c in shared.candidates] == [c.name for c in alone.candidates]
    for a, b in zip(shared.candidates, alone.candidates):
        assert a.minority_f1.values == b.minority_f1.values and a.pr_auc.values == b.pr_auc.values, a.name
        assert a.thresholds == b.thresholds and a.threshold_fallbacks == b.threshold_fallbacks, a.name
        assert a.minority_f1 == b.minority_f1 and a.vs_best == b.vs_best and a.error == b.error
    assert shared.recommended == alone.recommended and shared.explanation == alone.explanation
    assert len(shared.candidates[0].minority_f1.values) == 2  # 2 folds x 1 repeat
    # the tuned candidates really tuned (different thresholds across folds), so equal thresholds mean something
    tuned = {c.name: c for c in shared.candidates}["threshold_tuned"]
    assert len(set(tuned.thresholds)) > 1
    # each candidate's seconds are its share of the fold task: positive, and the tuned ones (4 fits alone) carry more
    seconds = {c.name: c.seconds for c in shared.candidates}
    assert all(s > 0 for s in seconds.values()) and seconds["threshold_tuned"] == pytest.approx(
        4 * seconds["as_is"])


@pytest.mark.parametrize("classifier", ["logreg", "hgb"])
def test_shared_fits_give_the_probabilities_of_fit_strategy_and_fit_less(credit_part, classifier, monkeypatch):
    prepared, kinds = credit_part
    dataset = prepared.dataset
    train, features, target = prepared.split.train, dataset.features, dataset.target
    fit_rows, check_rows = train.iloc[:150], train.iloc[150:]
    sampler = GeneratorSampler(method="random_oversampler", kinds=kinds, random_state=3)
    models = {"as_is": make_strategy(classifier, features, kinds, 3),
              "threshold_tuned": make_strategy(classifier, features, kinds, 3),
              "class_weighted": make_strategy(classifier, features, kinds, 3, "balanced"),
              "random_oversampler": make_strategy(classifier, features, kinds, 3, sampler=sampler)}
    with one_thread_per_task():  # as a race task runs
        alone = {name: strategy_proba(fit_strategy(clone(model), fit_rows, target, features), check_rows, features)
                 for name, model in models.items()}
    fits, spaces = [], []
    estimator = type(models["as_is"].steps[-1][1])
    real_fit, real_space = estimator.fit, ColumnTransformer.fit_transform
    monkeypatch.setattr(estimator, "fit", lambda self, *a, **k: fits.append(1) or real_fit(self, *a, **k))
    monkeypatch.setattr(ColumnTransformer, "fit_transform",
                        lambda self, *a, **k: spaces.append(1) or real_space(self, *a, **k))
    with one_thread_per_task():
        shared = SharedFits({name: clone(model) for name, model in models.items()}, fit_rows, target,
                            features).proba(check_rows)
    for name in models:
        pd.testing.assert_frame_equal(shared[name], alone[name], check_exact=True, obj=name)
    # one space for the three without a sampler plus the sampler's own; one fit per distinct classifier setting
    # (as is = tuned threshold's model; class weights; the oversampler's): 3 instead of 4
    assert len(fits) == 3 and len(spaces) == 2


def test_thresholds_chosen_together_equal_each_chosen_alone(credit_part):
    prepared, kinds = credit_part
    dataset, profile = prepared.dataset, prepared.profile
    train, features, target = prepared.split.train, dataset.features, dataset.target
    sampler = GeneratorSampler(method="random_oversampler", kinds=kinds, random_state=5)
    models = {"threshold_tuned": make_strategy("logreg", features, kinds, 5),
              "class_weighted": make_strategy("logreg", features, kinds, 5, "balanced"),
              "random_oversampler": make_strategy("logreg", features, kinds, 5, sampler=sampler)}
    together = choose_thresholds(models, train, target, features, profile.minority_classes, 5)
    for name, model in models.items():
        assert together[name] == choose_threshold(model, train, target, features, profile.minority_classes, 5)
    assert together["threshold_tuned"].tuned and len({c.threshold for c in together.values()}) > 1


def test_fold_groups_put_the_candidates_without_synthetic_rows_in_one_task():
    names = ["as_is", "threshold_tuned", "smote", "class_weighted", "gaussian_copula"]
    assert fold_groups(names) == [("as_is", "threshold_tuned", "class_weighted"), ("smote",), ("gaussian_copula",)]
    assert fold_groups(names, share=False) == [(name,) for name in names]
    assert fold_groups(["smote"]) == [("smote",)]
    assert np.all([len(g) for g in fold_groups(list(NO_GENERATION))] == [4])
