"""Can a classifier tell synthetic rows from real ones, and do synthetic rows look like their intended class?"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_val_score

from core.encoding import model_frame
from core.models import fit_classifier, make_classifier, predict_proba

MAX_ROWS = 5000  # per group, for the detection test (both groups get the same number of rows)


@dataclass(frozen=True)
class ClassRepresentation:
    """A class-weighted logistic regression trained on the real training rows labels the synthetic rows.

    synthetic_share: share of synthetic rows predicted as their intended class; real_share: the same for the
    real training minority rows (the reference). misfits: synthetic rows predicted as another class (up to 50).
    """
    synthetic_share: float
    real_share: float
    misfits: pd.DataFrame


def detection_auc(real: pd.DataFrame, synthetic: pd.DataFrame, features: list[str], kinds: dict[str, str],
                  seed: int) -> float | None:
    """Cross-validated ROC-AUC (5 folds) of logistic regression separating real from synthetic rows.

    0.5: indistinguishable; 1.0: every synthetic row is recognisable. None when a group has under 2 rows.
    """
    n = min(len(real), len(synthetic), MAX_ROWS)  # balanced groups: unequal ones bias cross-validated AUC below 0.5
    real = real.sample(n=n, random_state=seed)
    synthetic = synthetic.sample(n=n, random_state=seed)
    folds = min(5, len(real), len(synthetic))
    if folds < 2:
        return None
    rows = pd.concat([real[features], synthetic[features]], ignore_index=True)
    labels = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    model = make_classifier("logreg", features, kinds, seed)
    scores = cross_val_score(model, model_frame(rows, features, kinds), labels, scoring="roc_auc",
                             cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    return float(np.mean(scores))


def class_representation(train: pd.DataFrame, synthetic: pd.DataFrame, target: str, features: list[str],
                         kinds: dict[str, str], seed: int) -> ClassRepresentation:
    """Score synthetic rows with a model of the real training data (fitted on training rows only)."""
    model = fit_classifier(make_classifier("logreg", features, kinds, seed, class_weight="balanced"), train, target,
                           features, kinds)
    intended = synthetic[target].astype(str).to_numpy()
    predicted = predict_proba(model, synthetic, features, kinds).idxmax(axis=1).to_numpy()
    real_minority = train.loc[train[target].astype(str).isin(set(intended))]
    real_predicted = predict_proba(model, real_minority, features, kinds).idxmax(axis=1).to_numpy()
    wrong = predicted != intended
    misfits = synthetic.loc[wrong].head(50).assign(predicted_class=predicted[wrong][:50])
    return ClassRepresentation(synthetic_share=float((~wrong).mean()),
                               real_share=float((real_predicted == real_minority[target].astype(str)).mean()),
                               misfits=misfits)
