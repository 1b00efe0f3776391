"""Can a classifier tell synthetic rows from real ones, and do synthetic rows look like their intended class?"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import StratifiedKFold, cross_val_score

from core.encoding import model_frame
from core.models import fit_classifier, make_classifier, predict_proba

MAX_ROWS = 5000  # per group, for the detection test (a seeded sample above this)
FOLDS = 5
MIN_ROWS_PER_FOLD = 2  # fewer real rows per fold than this and the AUC is flagged as too noisy to mean much
REPRESENTATION_FOLDS = 3


@dataclass(frozen=True)
class Detection:
    """Cross-validated ROC-AUC of a class-weighted logistic regression telling real from synthetic rows.

    auc: mean over folds (0.5 indistinguishable, 1.0 every synthetic row recognisable; None when a group has
    under 2 rows). low / high: 95% t interval of the fold mean (fold_scores: one per fold). Neither group is cut
    down to the other's size (up to 5,000 rows each): the balanced class weights keep the groups equal in the
    fit without throwing synthetic rows away. note: why the figure is missing or too noisy to mean much.
    """
    auc: float | None
    low: float | None
    high: float | None
    fold_scores: tuple[float, ...]
    n_real: int
    n_synthetic: int
    note: str = ""


@dataclass(frozen=True)
class ClassRepresentation:
    """A class-weighted logistic regression of the real training data labels rows out of sample: 3 folds of the
    training rows; each real minority row is scored by the fold model that did not see it, and each synthetic
    row by one of the same fold models (assigned with the seed), so both sides are measured the same way.

    synthetic_share: share of synthetic rows predicted as their intended class; real_share: the same for the
    real training minority rows (the reference). misfits: synthetic rows predicted as another class (up to 50).
    """
    synthetic_share: float
    real_share: float
    misfits: pd.DataFrame


def detection(real: pd.DataFrame, synthetic: pd.DataFrame, features: list[str], kinds: dict[str, str],
              seed: int) -> Detection:
    """The detection test (see Detection)."""
    real = real.sample(n=min(len(real), MAX_ROWS), random_state=seed)
    synthetic = synthetic.sample(n=min(len(synthetic), MAX_ROWS), random_state=seed)
    folds = min(FOLDS, len(real), len(synthetic))
    if folds < 2:
        return Detection(None, None, None, (), len(real), len(synthetic),
                         f"not measured: {min(len(real), len(synthetic))} row(s) in the smaller group, 2 needed")
    rows = pd.concat([real[features], synthetic[features]], ignore_index=True)
    labels = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    model = make_classifier("logreg", features, kinds, seed, class_weight="balanced")
    scores = cross_val_score(model, model_frame(rows, features, kinds), labels, scoring="roc_auc",
                             cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    mean = float(np.mean(scores))
    half = float(stats.t.ppf(0.975, folds - 1) * np.std(scores, ddof=1) / np.sqrt(folds))
    note = ""
    if len(real) < MIN_ROWS_PER_FOLD * FOLDS:
        note = (f"only {len(real)} real rows ({folds} folds): the AUC is too noisy to mean much; "
                "read the interval, not the point")
    return Detection(mean, max(0.0, mean - half), min(1.0, mean + half), tuple(float(s) for s in scores),
                     len(real), len(synthetic), note)


def detection_auc(real: pd.DataFrame, synthetic: pd.DataFrame, features: list[str], kinds: dict[str, str],
                  seed: int) -> float | None:
    """The mean cross-validated AUC of `detection` (None when not measured)."""
    return detection(real, synthetic, features, kinds, seed).auc


def class_representation(train: pd.DataFrame, synthetic: pd.DataFrame, target: str, features: list[str],
                         kinds: dict[str, str], seed: int) -> ClassRepresentation:
    """Score real minority and synthetic rows with models of the real training data, out of sample on both sides
    (fitted on training rows only; see ClassRepresentation)."""
    intended = synthetic[target].astype(str).to_numpy()
    labels = train[target].astype(str).to_numpy()
    folds = int(min(REPRESENTATION_FOLDS, pd.Series(labels).value_counts().min()))
    synthetic_fold = np.random.default_rng(seed).integers(0, max(folds, 1), size=len(synthetic))
    predicted = np.empty(len(synthetic), dtype=object)
    real_rows = np.isin(labels, list(set(intended)))
    real_predicted = np.empty(len(train), dtype=object)
    if folds >= 2:
        splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(labels)), labels)
    else:  # a class with one training row: no fold can hold it out, so one in-sample model serves both sides
        splits = [(np.arange(len(labels)), np.arange(len(labels)))]
    for fold, (fit_rows, scored_rows) in enumerate(splits):
        model = fit_classifier(make_classifier("logreg", features, kinds, seed, class_weight="balanced"),
                               train.iloc[fit_rows], target, features, kinds)
        real_predicted[scored_rows] = predict_proba(model, train.iloc[scored_rows], features,
                                                    kinds).idxmax(axis=1).to_numpy()
        mine = synthetic_fold == fold
        if mine.any():
            predicted[mine] = predict_proba(model, synthetic.loc[mine], features, kinds).idxmax(axis=1).to_numpy()
    wrong = predicted != intended
    misfits = synthetic.loc[wrong].head(50).assign(predicted_class=predicted[wrong][:50])
    return ClassRepresentation(synthetic_share=float((~wrong).mean()) if len(synthetic) else float("nan"),
                               real_share=float((real_predicted[real_rows] == labels[real_rows]).mean())
                               if real_rows.any() else float("nan"), misfits=misfits)
