"""Drift that needs labels: the minority class's share then and now (prior shift), and concept drift: the
deployed model refitted on the reference training part, its minority recall, precision, F1 and PR-AUC on the test
part against the new batch at the deployed decision.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from core.data import Dataset
from core.drift._results import ConceptDrift, MetricShift, PriorShift, Verdict
from core.drift._stats import newcombe_interval, two_proportion_p_value, wilson_interval
from core.errors import SynthBalanceError


def prior_shift(reference_labels: pd.Series, new_labels: pd.Series, minority: str) -> PriorShift:
    """Minority share then and now (status set by the verdict)."""
    k1, n1 = int((reference_labels.astype(str) == minority).sum()), int(len(reference_labels))
    k2, n2 = int((new_labels.astype(str) == minority).sum()), int(len(new_labels))
    reference_share, new_share = k1 / n1, (k2 / n2 if n2 else 0.0)
    return PriorShift(minority_class=minority, reference_share=reference_share,
                      reference_interval=wilson_interval(k1, n1), new_share=new_share,
                      new_interval=wilson_interval(k2, n2), difference=new_share - reference_share,
                      difference_interval=newcombe_interval(k2, n2, k1, n1),
                      p_value=two_proportion_p_value(k2, n2, k1, n1),
                      relative_change=abs(new_share - reference_share) / reference_share if reference_share else 0.0,
                      status=Verdict.STABLE)


def _rates(truth: np.ndarray, flagged: np.ndarray) -> dict[str, tuple[int, int]]:
    """(hits, trials) of minority recall and precision."""
    return {"minority recall": (int((truth & flagged).sum()), int(truth.sum())),
            "minority precision": (int((truth & flagged).sum()), int(flagged.sum()))}


def metric_shifts(test_truth: np.ndarray, test_flagged: np.ndarray, test_scores: np.ndarray, new_truth: np.ndarray,
                  new_flagged: np.ndarray, new_scores: np.ndarray) -> list[MetricShift]:
    """Minority recall and precision (with intervals), F1 and PR-AUC, test time against the new batch."""
    out = []
    before, after = _rates(test_truth, test_flagged), _rates(new_truth, new_flagged)
    for metric in before:
        (k1, n1), (k2, n2) = before[metric], after[metric]
        old, new = (k1 / n1 if n1 else 0.0), (k2 / n2 if n2 else 0.0)
        out.append(MetricShift(metric=metric, test_value=old, new_value=new, interval=newcombe_interval(k2, n2, k1, n1),
                               p_value=two_proportion_p_value(k2, n2, k1, n1), status=Verdict.STABLE,
                               sentence=_moved(metric, old, new)))
    for metric, (old, new) in {"minority F1": (_f1(test_truth, test_flagged), _f1(new_truth, new_flagged)),
                               "PR-AUC": (_pr_auc(test_truth, test_scores), _pr_auc(new_truth, new_scores))}.items():
        out.append(MetricShift(metric=metric, test_value=old, new_value=new, interval=None, p_value=None,
                               status=Verdict.STABLE, sentence=_moved(metric, old, new)))
    return out


def _moved(metric: str, old: float, new: float) -> str:
    if round(old, 2) == round(new, 2):
        return f"{metric} held at {new:.2f}"
    return f"{metric} {'dropped' if new < old else 'rose'} from {old:.2f} to {new:.2f}"


def _f1(truth: np.ndarray, flagged: np.ndarray) -> float:
    return float(skm.f1_score(truth, flagged, zero_division=0)) if len(truth) else 0.0


def _pr_auc(truth: np.ndarray, scores: np.ndarray) -> float:
    return float(skm.average_precision_score(truth, scores)) if truth.any() else float("nan")


def concept_drift(reference: Dataset, new: pd.DataFrame, minority: str, config=None, seed: int = 42) -> ConceptDrift:
    """Refit the deployed model on the reference training part (never on its test part), score the test part and
    the new batch, and flag rows at the deployed decision.

    With a RunConfig: repeat 1 of the run rebuilt (the config's split, cleaning, bounds, rules, density filter,
    dropped copies, generator and classifier), and its tuned threshold recomputed exactly as the run tunes it
    (`tune_threshold` on the training part, the generator inside the tuning fit): the model and threshold the
    card's section 8 monitors. Without: a logistic regression on a 70/30 stratified split of the reference, its
    threshold tuned the same way."""
    from core.cleaning import fill_missing_like_train
    from core.constraints import build_constraints
    from core.models import CLASSIFIERS, fit_strategy, make_strategy, strategy_proba
    from core.pipeline import prepare, sampler_for_config, synthesize
    from core.strategies import NO_GENERATION
    from core.strategies import strategy_words as label_of
    from core.thresholds import decide, tune_threshold
    from core.validation.validate import copy_mask, without_rows
    target, features, kinds = reference.target, reference.features, reference.column_types
    weight, sampler = None, None
    if config is not None and config.method in NO_GENERATION:  # a strategy without synthetic rows
        prepared = prepare(reference, config.test_size, config.seed, config.cleaning)
        training, classifier, model_seed = prepared.train, config.classifier, config.seed
        weight = "balanced" if config.method == "class_weighted" else None
        described = (f"{CLASSIFIERS.get(config.classifier, config.classifier)} on the training rows "
                     f"({label_of(config.method)}, no synthetic rows), refitted")
    elif config is not None:
        prepared = prepare(reference, config.test_size, config.seed, config.cleaning)
        constraints = build_constraints(list(reference.frame.columns), list(config.rules), config.bounds)
        synthetic = synthesize(prepared, config.method, config.amount, config.params, config.seed, constraints,
                               config.density)
        if config.drop_copies and len(synthetic.rows):
            synthetic = without_rows(synthetic, copy_mask(prepared.train, synthetic.rows, target, features, kinds,
                                                          config.seed), target)
        rows = synthetic.rows.drop(columns=["is_synthetic"], errors="ignore")
        rows = rows.set_axis(pd.RangeIndex(-len(rows), 0))
        training = pd.concat([prepared.train, rows])
        classifier, model_seed = config.classifier, config.seed
        sampler = sampler_for_config(config, reference, config.seed)
        described = (f"{CLASSIFIERS.get(config.classifier, config.classifier)} on the training rows + "
                     f"{label_of(config.method)} synthetic rows, refitted from the config")
    else:
        prepared = prepare(reference, 0.3, seed)
        training, classifier, model_seed = prepared.train, "logreg", seed
        described = (f"{CLASSIFIERS['logreg']} on a 70% stratified training part of the reference (no run config "
                     "given)")
    model = fit_strategy(make_strategy(classifier, features, kinds, model_seed, weight), training, target, features)
    try:
        threshold = tune_threshold(make_strategy(classifier, features, kinds, model_seed, weight, sampler),
                                   prepared.train, target, features, [minority], model_seed)
    except SynthBalanceError:  # as the run does: the generator could not fit the tuning split; argmax is kept
        threshold = None
    new_filled = fill_missing_like_train(prepared.cleaning, new, features, kinds)

    def scored(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        proba = strategy_proba(model, frame, features)
        score = proba[minority].to_numpy() if minority in proba.columns else np.zeros(len(frame))
        flagged = decide(proba, [minority], threshold) == minority
        return frame[target].astype(str).to_numpy() == minority, flagged, score
    shifts = metric_shifts(*scored(prepared.test), *scored(new_filled))
    decision = (f"flagged when P('{minority}') >= {threshold:.2f}, the tuned threshold" if threshold is not None
                else "the most likely class (argmax)")
    return ConceptDrift(model=described, test_rows=len(prepared.test), new_rows=len(new), metrics=tuple(shifts),
                        threshold=threshold, decision=decision)
